package flag

import "strings"

// semver is a parsed semantic version. pre is the pre-release part (without the "-"), "" for a release.
type semver struct {
	major, minor, patch uint64
	pre                 string
}

// maxSemverPart bounds each numeric part so parsing never overflows.
const maxSemverPart = 1<<53 - 1

// parseSemver reads "[v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]" the way app versions are written in
// practice: missing minor and patch parts are 0. It does not allocate.
func parseSemver(s string) (semver, bool) {
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !validIdents(s[i+1:], false) {
			return semver{}, false
		}
		s = s[:i]
	}
	var v semver
	if i := strings.IndexByte(s, '-'); i >= 0 {
		v.pre = s[i+1:]
		if !validIdents(v.pre, true) {
			return semver{}, false
		}
		s = s[:i]
	}
	parts := [3]*uint64{&v.major, &v.minor, &v.patch}
	for i := 0; i < 3; i++ {
		end := strings.IndexByte(s, '.')
		if end < 0 {
			end = len(s)
		}
		n, ok := parseNumeric(s[:end])
		if !ok {
			return semver{}, false
		}
		*parts[i] = n
		if end == len(s) {
			return v, true
		}
		s = s[end+1:]
	}
	return semver{}, false // a fourth part
}

// parseNumeric reads a numeric identifier: digits without a leading zero (0 itself is fine).
func parseNumeric(s string) (uint64, bool) {
	if s == "" || len(s) > 16 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= maxSemverPart
}

// validIdents checks dot-separated identifiers of [0-9A-Za-z-]; in a pre-release, numeric identifiers
// may not have leading zeros.
func validIdents(s string, pre bool) bool {
	if s == "" {
		return false
	}
	for s != "" {
		end := strings.IndexByte(s, '.')
		if end < 0 {
			end = len(s)
		}
		id := s[:end]
		if id == "" {
			return false
		}
		numeric := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				numeric = false
			default:
				return false
			}
		}
		if pre && numeric && len(id) > 1 && id[0] == '0' {
			return false
		}
		if end == len(s) {
			break
		}
		s = s[end+1:]
	}
	return true
}

// compare orders versions by semver precedence: -1, 0 or +1.
func (a semver) compare(b semver) int {
	for _, p := range [3][2]uint64{{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}} {
		if p[0] != p[1] {
			if p[0] < p[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.pre == b.pre:
		return 0
	case a.pre == "": // a release ranks above its pre-releases
		return 1
	case b.pre == "":
		return -1
	}
	return comparePre(a.pre, b.pre)
}

// comparePre compares dot-separated pre-release identifiers: numeric ones numerically and below
// alphanumeric ones, alphanumeric ones in ASCII order, and a shorter list first when all else is equal.
func comparePre(a, b string) int {
	for {
		if a == "" || b == "" {
			switch {
			case a == b:
				return 0
			case a == "":
				return -1
			default:
				return 1
			}
		}
		x, restA, _ := strings.Cut(a, ".")
		y, restB, _ := strings.Cut(b, ".")
		nx, xNum := numericIdent(x)
		ny, yNum := numericIdent(y)
		switch {
		case xNum && yNum:
			if nx != ny {
				if nx < ny {
					return -1
				}
				return 1
			}
		case xNum:
			return -1
		case yNum:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
		a, b = restA, restB
	}
}

func numericIdent(s string) (uint64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n, true
}
