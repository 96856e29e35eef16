package contract

import (
	"regexp"
	"strings"
)

var urlPassword = regexp.MustCompile(`://([^:@/,]*):[^@/,]*@`)

// Mask hides the secrets in a secret setting's value, keeping what helps an operator recognise it: URLs
// keep everything but their passwords; in a comma-separated list of "name:secret:scopes" API keys each
// keeps its name and scopes; anything else becomes "****".
func Mask(value string) string {
	if value == "" {
		return ""
	}
	if strings.Contains(value, "://") {
		return urlPassword.ReplaceAllString(value, "://$1:****@")
	}
	items := strings.Split(value, ",")
	for i, item := range items {
		parts := strings.Split(strings.TrimSpace(item), ":")
		if len(parts) == 3 {
			items[i] = parts[0] + ":****:" + parts[2]
		} else {
			items[i] = "****"
		}
	}
	return strings.Join(items, ",")
}
