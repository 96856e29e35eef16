package ratelimit

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rule is a policy and the requests it applies to: those whose route matches one of Routes (any route when
// empty) and whose caller kind is one of Kinds (any kind when empty).
type Rule struct {
	Policy Policy
	// Routes are route selectors: "GET /v1/session" (that method and pattern), "/v1/session" (any method),
	// or a path ending in '*' ("/v1/users/*", any route whose pattern starts so).
	Routes []string
	Kinds  []Kind
}

var (
	routeMethod = regexp.MustCompile(`^[A-Z]+$`)
	routePath   = regexp.MustCompile(`^/[^\s*]*\*?$`)
)

func validateRoute(sel string) error {
	method, path, found := strings.Cut(sel, " ")
	if !found {
		method, path = "", sel
	}
	if found && !routeMethod.MatchString(method) || !routePath.MatchString(path) {
		return fmt.Errorf("%w: route %q: want [METHOD ]/path, optionally ending in *", ErrInvalid, sel)
	}
	return nil
}

// matchRoute reports whether a route selector covers the server's route pattern ("GET /v1/session").
func matchRoute(sel, route string) bool {
	selMethod, selPath, hasMethod := strings.Cut(sel, " ")
	if !hasMethod {
		selPath = sel
	}
	method, path, found := strings.Cut(route, " ")
	if !found {
		method, path = "", route
	}
	if hasMethod && selMethod != method {
		return false
	}
	if prefix, ok := strings.CutSuffix(selPath, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return selPath == path
}

func (r Rule) matches(route string, kind Kind) bool {
	if len(r.Kinds) > 0 && !slices.Contains(r.Kinds, kind) {
		return false
	}
	if len(r.Routes) == 0 {
		return true
	}
	for _, sel := range r.Routes {
		if matchRoute(sel, route) {
			return true
		}
	}
	return false
}

// String writes the rule in the policy language.
func (r Rule) String() string {
	parts := []string{r.Policy.Name + ":"}
	for _, rt := range r.Routes {
		if strings.Contains(rt, " ") {
			rt = `"` + rt + `"`
		}
		parts = append(parts, "route="+rt)
	}
	if len(r.Kinds) > 0 {
		ks := make([]string, len(r.Kinds))
		for i, k := range r.Kinds {
			ks[i] = string(k)
		}
		parts = append(parts, "kind="+strings.Join(ks, ","))
	}
	for i, t := range r.Policy.Tiers {
		if i > 0 {
			parts = append(parts, "+")
		}
		parts = append(parts, t.String())
	}
	if r.Policy.Failure == FailClosed {
		parts = append(parts, "fail=closed")
	}
	return strings.Join(parts, " ")
}

// Rules are the configured policies in order. A request is decided by the first rule that matches it, or
// else by the rule named "default" (which has no selectors), or else it is not limited.
type Rules struct {
	rules []Rule
	def   *Rule
}

// NewRules checks the rules as a set: each valid, names unique, the "default" rule without selectors,
// every other rule with at least one selector.
func NewRules(rules ...Rule) (Rules, error) {
	var out Rules
	var errs []error
	seen := map[string]bool{}
	if len(rules) > MaxPolicies {
		return Rules{}, fmt.Errorf("%w: %d policies: at most %d", ErrInvalid, len(rules), MaxPolicies)
	}
	for _, r := range rules {
		r.Policy.Tiers = slices.Clone(r.Policy.Tiers)
		if err := r.Policy.Validate(); err != nil {
			errs = append(errs, err)
		}
		for _, sel := range r.Routes {
			if err := validateRoute(sel); err != nil {
				errs = append(errs, fmt.Errorf("policy %q: %w", r.Policy.Name, err))
			}
		}
		for _, k := range r.Kinds {
			if !k.Valid() {
				errs = append(errs, fmt.Errorf("%w: policy %q: kind %q: want key, user or ip", ErrInvalid, r.Policy.Name, k))
			}
		}
		if seen[r.Policy.Name] {
			errs = append(errs, fmt.Errorf("%w: policy %q is defined twice", ErrInvalid, r.Policy.Name))
		}
		seen[r.Policy.Name] = true
		switch {
		case r.Policy.Name == defaultPolicyName:
			if len(r.Routes) > 0 || len(r.Kinds) > 0 {
				errs = append(errs, fmt.Errorf("%w: policy \"default\" applies when no other does: it takes no route= or kind=", ErrInvalid))
			}
			d := r
			out.def = &d
		case len(r.Routes) == 0 && len(r.Kinds) == 0:
			errs = append(errs, fmt.Errorf("%w: policy %q has no route= or kind=: name it \"default\" to apply it to everything else", ErrInvalid, r.Policy.Name))
		default:
			out.rules = append(out.rules, r)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Rules{}, err
	}
	return out, nil
}

// Match returns the policy for a request to route (the server's pattern, "GET /v1/session") by a caller of
// kind, and false when no policy applies.
func (rs Rules) Match(route string, kind Kind) (Policy, bool) {
	for _, r := range rs.rules {
		if r.matches(route, kind) {
			return r.Policy, true
		}
	}
	if rs.def != nil {
		return rs.def.Policy, true
	}
	return Policy{}, false
}

// Lookup returns the policy named name.
func (rs Rules) Lookup(name string) (Policy, bool) {
	for _, r := range rs.All() {
		if r.Policy.Name == name {
			return r.Policy, true
		}
	}
	return Policy{}, false
}

// All returns every rule in match order, the default last.
func (rs Rules) All() []Rule {
	out := slices.Clone(rs.rules)
	if rs.def != nil {
		out = append(out, *rs.def)
	}
	return out
}

// Empty reports whether no policy is configured (rate limiting is off).
func (rs Rules) Empty() bool { return len(rs.rules) == 0 && rs.def == nil }

// String writes the rules in the policy language, one per line; ParseRules reads it back.
func (rs Rules) String() string {
	if rs.Empty() {
		return "off"
	}
	var lines []string
	for _, r := range rs.All() {
		lines = append(lines, r.String())
	}
	return strings.Join(lines, "\n")
}

// ParseRules reads the policy language of STATEKIT_RATE_LIMITS: "off" (no limiting) or rules separated by
// ';' or new lines, '#' starting a comment. A rule is
//
//	<name>: [route=<selector>]... [kind=<kind>[,<kind>]] <tier> [+ <tier>]... [fail=open|closed]
//	<tier> = <strategy> <count>/<period> [burst <n>]
//
// for example
//
//	login: route="POST /v1/users/{userID}/sessions" fixed_window 10/s + fixed_window 100/h fail=closed
//	anonymous: kind=ip sliding_counter 60/m
//	default: gcra 200/s burst 400
//
// A period is s, m, h, d, a number of days ("7d") or a Go duration ("250ms", "10s", "1m30s"). Route
// selectors with a space are quoted. Every problem is reported, each naming its rule.
func ParseRules(text string) (Rules, error) {
	stmts, err := statements(text)
	if err != nil {
		return Rules{}, err
	}
	if len(stmts) == 1 && (stmts[0] == "off" || stmts[0] == "none") {
		return Rules{}, nil
	}
	if len(stmts) == 0 {
		return Rules{}, fmt.Errorf("%w: no policies (write \"off\" to turn rate limiting off)", ErrInvalid)
	}
	var rules []Rule
	var errs []error
	for i, s := range stmts {
		r, err := parseRule(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %d (%s): %w", i+1, clip(s), err))
			continue
		}
		rules = append(rules, r)
	}
	out, err := NewRules(rules...)
	if err := errors.Join(append(errs, err)...); err != nil {
		return Rules{}, err
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// statements splits the text on ';' and new lines outside quotes, dropping comments and blank statements.
func statements(text string) ([]string, error) {
	var out []string
	var cur strings.Builder
	quoted, comment := false, false
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for _, c := range text {
		switch {
		case comment:
			if c == '\n' {
				comment = false
				flush()
			}
		case c == '"':
			quoted = !quoted
			cur.WriteRune(c)
		case quoted:
			if c == '\n' {
				return nil, fmt.Errorf("%w: a quoted route runs past the end of its line", ErrInvalid)
			}
			cur.WriteRune(c)
		case c == '#':
			comment = true
		case c == ';' || c == '\n':
			flush()
		default:
			cur.WriteRune(c)
		}
	}
	if quoted {
		return nil, fmt.Errorf("%w: unbalanced quote", ErrInvalid)
	}
	flush()
	return out, nil
}

// fields splits a statement on white space outside quotes and removes the quotes.
func fields(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, started := false, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted, started = !quoted, true
		case !quoted && (c == ' ' || c == '\t' || c == '\r'):
			if started {
				out = append(out, cur.String())
			}
			cur.Reset()
			started = false
		default:
			cur.WriteRune(c)
			started = true
		}
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

func parseRule(s string) (Rule, error) {
	name, rest, found := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !found || strings.ContainsAny(name, " \t\"") {
		return Rule{}, fmt.Errorf("%w: want <name>: <tiers and options>", ErrInvalid)
	}
	r := Rule{Policy: Policy{Name: name, Failure: FailOpen}}
	toks := fields(rest)
	joined := true // a tier may start here: at the beginning or after '+'
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		key, val, isOpt := strings.Cut(t, "=")
		switch {
		case isOpt && key == "route":
			r.Routes = append(r.Routes, val)
		case isOpt && key == "kind":
			for k := range strings.SplitSeq(val, ",") {
				r.Kinds = append(r.Kinds, Kind(k))
			}
		case isOpt && key == "fail":
			r.Policy.Failure = FailureMode(val)
		case isOpt:
			return Rule{}, fmt.Errorf("%w: unknown option %q (want route=, kind= or fail=)", ErrInvalid, key)
		case t == "+":
			if joined {
				return Rule{}, fmt.Errorf("%w: '+' must stand between two tiers", ErrInvalid)
			}
			joined = true
		case Strategy(t).Valid():
			if !joined {
				return Rule{}, fmt.Errorf("%w: join tiers with '+' (before %q)", ErrInvalid, t)
			}
			lim, used, err := parseTier(toks[i:])
			if err != nil {
				return Rule{}, err
			}
			r.Policy.Tiers = append(r.Policy.Tiers, lim)
			i += used - 1
			joined = false
		default:
			return Rule{}, fmt.Errorf("%w: unexpected %q (strategies: %v)", ErrInvalid, t, Strategies)
		}
	}
	if joined && len(r.Policy.Tiers) > 0 {
		return Rule{}, fmt.Errorf("%w: '+' must stand between two tiers", ErrInvalid)
	}
	if len(r.Policy.Tiers) == 0 {
		return Rule{}, fmt.Errorf("%w: no tier (e.g. gcra 100/s burst 200)", ErrInvalid)
	}
	return r, nil
}

// parseTier reads "<strategy> <count>/<period> [burst <n>]" and says how many tokens it used.
func parseTier(toks []string) (Limit, int, error) {
	lim := Limit{Strategy: Strategy(toks[0])}
	if len(toks) < 2 {
		return Limit{}, 0, fmt.Errorf("%w: %s needs <count>/<period>", ErrInvalid, toks[0])
	}
	count, period, ok := strings.Cut(toks[1], "/")
	n, err := strconv.ParseInt(count, 10, 64)
	if !ok || err != nil {
		return Limit{}, 0, fmt.Errorf("%w: %s: %q is not <count>/<period> such as 100/s", ErrInvalid, toks[0], toks[1])
	}
	d, err := parsePeriod(period)
	if err != nil {
		return Limit{}, 0, err
	}
	lim.Count, lim.Period = n, d
	used := 2
	if len(toks) > 2 && toks[2] == "burst" {
		if len(toks) < 4 {
			return Limit{}, 0, fmt.Errorf("%w: burst needs a number", ErrInvalid)
		}
		b, err := strconv.ParseInt(toks[3], 10, 64)
		if err != nil || b < 1 {
			return Limit{}, 0, fmt.Errorf("%w: burst %q is not a positive number", ErrInvalid, toks[3])
		}
		lim.Burst = b
		used = 4
	}
	return lim, used, nil
}

func parsePeriod(s string) (time.Duration, error) {
	switch s {
	case "s":
		return time.Second, nil
	case "m":
		return time.Minute, nil
	case "h":
		return time.Hour, nil
	case "d":
		return 24 * time.Hour, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 366 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: period %q: want s, m, h, d, a number of days or a duration such as 250ms", ErrInvalid, s)
	}
	return d, nil
}
