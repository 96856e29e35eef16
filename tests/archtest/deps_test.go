// Package archtest checks the dependency rule of the architecture on the real import graph.
package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const mod = "github.com/statekit/statekit"

// rule forbids packages matching `pkg` from importing anything matching `forbidden`, and, with
// stdlibOnly, anything outside the standard library and this module.
type rule struct {
	name       string
	pkg        *regexp.Regexp
	forbidden  *regexp.Regexp
	stdlibOnly bool
}

func (r rule) forbids(dep string) bool {
	return r.forbidden.MatchString(dep) || r.stdlibOnly && isThirdParty(dep)
}

// isThirdParty reports an import from outside the standard library and this module.
func isThirdParty(dep string) bool {
	first, _, _ := strings.Cut(dep, "/")
	return strings.Contains(first, ".") && dep != mod && !strings.HasPrefix(dep, mod+"/")
}

var rules = []rule{
	{"domain imports only the standard library and domain packages",
		regexp.MustCompile(`^` + mod + `/domain(/|$)`),
		regexp.MustCompile(`^(net/http$|` + mod + `/(ports|app|adapters|eventbus|cmd)(/|$))`), true},
	{"ports import only domain packages and the standard library (never Redis, Watermill, fx or net/http)",
		regexp.MustCompile(`^` + mod + `/ports$`),
		regexp.MustCompile(`^(net/http$|` + mod + `/(app|adapters|eventbus|cmd)(/|$))`), true},
	{"app reaches Redis and the bus only through ports",
		regexp.MustCompile(`^` + mod + `/app/`),
		regexp.MustCompile(`^(github\.com/redis/|github\.com/ThreeDotsLabs/|net/http$|` + mod + `/(adapters|eventbus|cmd)(/|$))`), false},
	{"eventbus does not reach into app or adapters",
		regexp.MustCompile(`^` + mod + `/eventbus$`),
		regexp.MustCompile(`^` + mod + `/(app|adapters|cmd)(/|$)`), false},
	{"only eventbus imports Watermill",
		regexp.MustCompile(`^` + mod + `/(domain|ports|app|adapters|cmd)(/|$)`),
		regexp.MustCompile(`^github\.com/ThreeDotsLabs/`), false},
	{"adapters never import app services other than through the HTTP adapter",
		regexp.MustCompile(`^` + mod + `/adapters/redis/`),
		regexp.MustCompile(`^` + mod + `/(app|eventbus|cmd)(/|$)`), false},
}

// appModule and redisAdapter name the module a package belongs to, for the cross-module rules.
var (
	appModule    = regexp.MustCompile(`^` + mod + `/app/([a-z]+)app$`)
	redisAdapter = regexp.MustCompile(`^` + mod + `/adapters/redis/([a-z]+)redis$`)
)

// imports returns, for every package of the module, its non-test imports.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = filepath.Join("..", "..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	graph := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 {
			graph[fields[0]] = fields[1:]
		}
	}
	return graph
}

func TestDependencyRule(t *testing.T) {
	graph := imports(t)
	if len(graph) < 10 {
		t.Fatalf("go list found only %d packages; the test is not looking at the module", len(graph))
	}
	for pkg, deps := range graph {
		for _, r := range rules {
			if !r.pkg.MatchString(pkg) {
				continue
			}
			for _, d := range deps {
				if r.forbids(d) {
					t.Errorf("%s: %s imports %s", r.name, pkg, d)
				}
			}
		}
		for _, d := range deps {
			if m := appModule.FindStringSubmatch(pkg); m != nil {
				if o := appModule.FindStringSubmatch(d); o != nil && o[1] != m[1] {
					t.Errorf("app modules talk through events: %s imports %s", pkg, d)
				}
			}
			if m := redisAdapter.FindStringSubmatch(pkg); m != nil {
				if o := redisAdapter.FindStringSubmatch(d); o != nil && o[1] != m[1] {
					t.Errorf("no adapter imports another module's adapter: %s imports %s", pkg, d)
				}
			}
		}
	}
}

// TestRulesCatchViolations proves each rule fires on an import it must forbid, so a broken pattern
// cannot silently pass everything.
func TestRulesCatchViolations(t *testing.T) {
	cases := []struct{ pkg, dep string }{
		{mod + "/domain/session", "github.com/redis/go-redis/v9"},
		{mod + "/domain/session", mod + "/ports"},
		{mod + "/domain/session", "net/http"},
		{mod + "/ports", "github.com/ThreeDotsLabs/watermill"},
		{mod + "/ports", "go.uber.org/fx"},
		{mod + "/domain/cart", "golang.org/x/exp/maps"},
		{mod + "/ports", mod + "/adapters/redis/rdb"},
		{mod + "/app/sessionapp", "github.com/redis/go-redis/v9"},
		{mod + "/app/sessionapp", mod + "/adapters/redis/sessionredis"},
		{mod + "/app/sessionapp", mod + "/eventbus"},
		{mod + "/adapters/http", "github.com/ThreeDotsLabs/watermill/message"},
	}
	for _, c := range cases {
		caught := false
		for _, r := range rules {
			if r.pkg.MatchString(c.pkg) && r.forbids(c.dep) {
				caught = true
			}
		}
		if !caught {
			t.Errorf("no rule forbids %s importing %s", c.pkg, c.dep)
		}
	}
	if appModule.FindStringSubmatch(mod+"/app/cartapp") == nil || redisAdapter.FindStringSubmatch(mod+"/adapters/redis/cartredis") == nil {
		t.Error("module name patterns do not match module packages")
	}
}
