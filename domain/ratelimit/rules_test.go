package ratelimit_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/ratelimit"
)

const example = `
# a comment line
login: route="POST /v1/users/{userID}/sessions" fixed_window 10/s + fixed_window 100/h fail=closed
anonymous: kind=ip sliding_counter 60/m   # trailing comment
users: kind=user route=/v1/session route=/v1/sessions* gcra 20/s burst 40
default: token_bucket 200/s burst 400; bulk: route="DELETE /v1/users/*" kind=key,user sliding_log 5/10s
`

func TestParseRules(t *testing.T) {
	rs, err := ratelimit.ParseRules(example)
	if err != nil {
		t.Fatalf("ParseRules: %v", err)
	}
	all := rs.All()
	names := []string{}
	for _, r := range all {
		names = append(names, r.Policy.Name)
	}
	if got := strings.Join(names, ","); got != "login,anonymous,users,bulk,default" {
		t.Fatalf("rules in match order = %s, want login,anonymous,users,bulk,default", got)
	}
	login, _ := rs.Lookup("login")
	want := []ratelimit.Limit{
		{Strategy: ratelimit.FixedWindow, Count: 10, Period: time.Second},
		{Strategy: ratelimit.FixedWindow, Count: 100, Period: time.Hour},
	}
	if len(login.Tiers) != 2 || login.Tiers[0] != want[0] || login.Tiers[1] != want[1] || login.Failure != ratelimit.FailClosed {
		t.Errorf("login = %+v", login)
	}
	users, _ := rs.Lookup("users")
	if users.Tiers[0] != (ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 20, Period: time.Second, Burst: 40}) || users.Failure != ratelimit.FailOpen {
		t.Errorf("users = %+v", users)
	}
	bulk, _ := rs.Lookup("bulk")
	if bulk.Tiers[0].Period != 10*time.Second || all[3].Kinds[1] != ratelimit.KindUser {
		t.Errorf("bulk = %+v", all[3])
	}
	if _, ok := rs.Lookup("nope"); ok {
		t.Error("Lookup found an undefined policy")
	}

	// String writes what ParseRules reads back.
	again, err := ratelimit.ParseRules(rs.String())
	if err != nil || again.String() != rs.String() {
		t.Errorf("round trip: %v\n%s\n---\n%s", err, rs.String(), again.String())
	}
}

func TestMatch(t *testing.T) {
	rs, err := ratelimit.ParseRules(example)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		route string
		kind  ratelimit.Kind
		want  string
	}{
		{"POST /v1/users/{userID}/sessions", ratelimit.KindKey, "login"},
		{"POST /v1/users/{userID}/sessions", ratelimit.KindIP, "login"}, // first match wins
		{"GET /v1/users/{userID}/sessions", ratelimit.KindIP, "anonymous"},
		{"GET /v1/session", ratelimit.KindUser, "users"},
		{"PATCH /v1/session", ratelimit.KindUser, "users"},               // path selector: any method
		{"DELETE /v1/sessions/{sessionID}", ratelimit.KindUser, "users"}, // prefix selector
		{"GET /v1/session", ratelimit.KindKey, "default"},
		{"DELETE /v1/users/{userID}/sessions", ratelimit.KindKey, "bulk"},
		{"DELETE /v1/users/{userID}/sessions", ratelimit.KindUser, "bulk"},
		{"GET /v1/users/{userID}/sessions", ratelimit.KindKey, "default"},
		{"/v1/session", ratelimit.KindUser, "users"}, // a pattern without a method
		{"/v1/session", ratelimit.KindKey, "default"},
	} {
		p, ok := rs.Match(c.route, c.kind)
		if !ok || p.Name != c.want {
			t.Errorf("Match(%q, %s) = %q, %t; want %q", c.route, c.kind, p.Name, ok, c.want)
		}
	}
	noDefault, err := ratelimit.ParseRules("anon: kind=ip gcra 1/s")
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := noDefault.Match("GET /x", ratelimit.KindKey); ok {
		t.Errorf("without a default, Match found %q for an unmatched request", p.Name)
	}
	off, err := ratelimit.ParseRules("  off ")
	if err != nil || !off.Empty() || off.String() != "off" {
		t.Errorf("off = %v, %v", off, err)
	}
}

func TestParseRulesRejects(t *testing.T) {
	for _, c := range []struct {
		text, want string
	}{
		{"", "no policies"},
		{"   # only a comment", "no policies"},
		{"default gcra 1/s", "want <name>:"},
		{"Default: gcra 1/s", "policy name"},
		{"a:b: gcra 1/s", "unexpected"},
		{"x{y}: gcra 1/s", "policy name"},
		{"default: gcra 1/s; default: gcra 2/s", "defined twice"},
		{"default: kind=ip gcra 1/s", "takes no route= or kind="},
		{"everything: gcra 1/s", "no route= or kind="},
		{"default:", "no tier"},
		{"default: leaky 1/s", "unexpected \"leaky\""},
		{"default: gcra", "needs <count>/<period>"},
		{"default: gcra 10", "not <count>/<period>"},
		{"default: gcra x/s", "not <count>/<period>"},
		{"default: gcra 0/s", "count 0"},
		{"default: gcra -1/s", "count -1"},
		{"default: gcra 1/fortnight", "period \"fortnight\""},
		{"default: gcra 1/0s", "period \"0s\""},
		{"default: gcra 1/500us", "period 500µs"},
		{"default: gcra 1/400d", "period"},
		{"default: fixed_window 10/s burst 20", "takes no burst"},
		{"default: gcra 10/s burst", "burst needs a number"},
		{"default: gcra 10/s burst 0", "not a positive number"},
		{"default: gcra 2000000/s", "more than one unit per microsecond"},
		{"default: sliding_log 200000/h", "use sliding_counter"},
		{"default: gcra 1/s gcra 2/s", "join tiers with '+'"},
		{"default: gcra 1/s +", "'+' must stand between"},
		{"default: + gcra 1/s", "'+' must stand between"},
		{"default: gcra 1/s fail=maybe", "fail=\"maybe\""},
		{"default: gcra 1/s color=red", "unknown option"},
		{"x: kind=robot gcra 1/s", "kind \"robot\""},
		{"x: route=v1/session gcra 1/s", "route \"v1/session\""},
		{`x: route="get /v1" gcra 1/s`, "route \"get /v1\""},
		{`x: route="GET /v1/*/x" gcra 1/s`, "route"},
		{`x: route="GET /v1 gcra 1/s`, "unbalanced quote"},
		{"x: route=\"GET\n/v1\" gcra 1/s", "past the end of its line"},
		{"default: " + strings.Repeat("gcra 1/s + ", 8) + "gcra 1/s", "1 to 8 tiers"},
	} {
		_, err := ratelimit.ParseRules(c.text)
		if err == nil || !errors.Is(err, ratelimit.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseRules(%q) = %v, want an ErrInvalid containing %q", c.text, err, c.want)
		}
	}
	// Every broken rule is reported, each naming its number.
	_, err := ratelimit.ParseRules("a: kind=ip gcra 0/s\nb: kind=ip gcra 1/s\nc: kind=ip leaky 1/s")
	if err == nil || !strings.Contains(err.Error(), "rule 3") || !strings.Contains(err.Error(), "count 0") {
		t.Errorf("two broken rules: %v", err)
	}
}

func FuzzParseRules(f *testing.F) {
	for _, s := range []string{example, "off", "default: gcra 100/s burst 200", `x: route="GET /a*" kind=ip,key fixed_window 1/m + gcra 5/h fail=closed`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rs, err := ratelimit.ParseRules(text)
		if err != nil {
			if !errors.Is(err, ratelimit.ErrInvalid) {
				t.Fatalf("ParseRules(%q): error %v does not wrap ErrInvalid", text, err)
			}
			return
		}
		for _, r := range rs.All() {
			if err := r.Policy.Validate(); err != nil {
				t.Fatalf("ParseRules(%q) accepted an invalid policy: %v", text, err)
			}
		}
		again, err := ratelimit.ParseRules(rs.String())
		if err != nil || again.String() != rs.String() {
			t.Fatalf("round trip of %q: %v\n%s\n---\n%s", text, err, rs.String(), again.String())
		}
	})
}
