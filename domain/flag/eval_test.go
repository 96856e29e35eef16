package flag

import (
	"fmt"
	"math"
	"testing"
)

func mustCompile(t testing.TB, f Flag) *Compiled {
	t.Helper()
	c, err := Compile(f)
	if err != nil {
		t.Fatalf("Compile(%s): %v", f.Key, err)
	}
	return c
}

func TestEvaluateOrder(t *testing.T) {
	f := Flag{
		Key: "search", Type: TypeBoolean, Enabled: true, Version: 7, DefaultVariant: VariantOff,
		Allow: []string{"vip"}, Deny: []string{"mallory"},
		Rules: []Rule{
			{Name: "staff", Conditions: []Condition{{Attribute: "email_domain", Op: OpEquals, Value: "shop.example"}}, Variant: VariantOn},
			{Name: "adults in DE/FR", Conditions: []Condition{
				{Attribute: "country", Op: OpIn, Values: []string{"DE", "FR"}},
				{Attribute: "age", Op: OpGTE, Value: "18"},
			}},
			{Name: "new apps", Conditions: []Condition{{Attribute: "app", Op: OpSemverGTE, Value: "2.4.0"}}, Variant: VariantOn},
		},
	}
	c := mustCompile(t, f)
	cases := []struct {
		name    string
		ctx     Context
		variant string
		reason  Reason
		rule    int
	}{
		{"nobody in particular", Context{UserID: "u1"}, VariantOff, ReasonDefault, -1},
		{"allow list", Context{UserID: "vip"}, VariantOn, ReasonAllowed, -1},
		{"deny list beats rules", Context{UserID: "mallory", Attributes: map[string]string{"email_domain": "shop.example"}}, VariantOff, ReasonDenied, -1},
		{"first rule", Context{UserID: "u2", Attributes: map[string]string{"email_domain": "shop.example"}}, VariantOn, ReasonRule, 0},
		{"all conditions of rule 2", Context{UserID: "u3", Attributes: map[string]string{"country": "FR", "age": "18"}}, VariantOn, ReasonRule, 1},
		{"one condition of rule 2 fails", Context{UserID: "u3", Attributes: map[string]string{"country": "FR", "age": "17.9"}}, VariantOff, ReasonDefault, -1},
		{"non-numeric age", Context{UserID: "u3", Attributes: map[string]string{"country": "DE", "age": "adult"}}, VariantOff, ReasonDefault, -1},
		{"semver pre-release below", Context{UserID: "u4", Attributes: map[string]string{"app": "2.4.0-rc.1"}}, VariantOff, ReasonDefault, -1},
		{"semver release", Context{UserID: "u4", Attributes: map[string]string{"app": "v2.4"}}, VariantOn, ReasonRule, 2},
		{"semver garbage", Context{UserID: "u4", Attributes: map[string]string{"app": "latest"}}, VariantOff, ReasonDefault, -1},
	}
	for _, tc := range cases {
		r := c.Evaluate(&tc.ctx)
		if r.Variant != tc.variant || r.Reason != tc.reason || r.Rule != tc.rule || r.Key != "search" || r.Version != 7 {
			t.Errorf("%s: Evaluate = %+v, want %s by %s (rule %d)", tc.name, r, tc.variant, tc.reason, tc.rule)
		}
		if r.On != (tc.variant == VariantOn) || c.Variants()[r.VariantIndex] != r.Variant {
			t.Errorf("%s: On %t, index %d for %s", tc.name, r.On, r.VariantIndex, r.Variant)
		}
	}

	// The kill switch beats everything, the allow list included.
	f.Enabled = false
	off := mustCompile(t, f)
	for _, u := range []string{"vip", "u2", "mallory"} {
		if r := off.Evaluate(&Context{UserID: u, Attributes: map[string]string{"email_domain": "shop.example"}}); r.Variant != VariantOff || r.Reason != ReasonOff || r.On {
			t.Errorf("disabled flag for %s: %+v, want off", u, r)
		}
	}
}

func TestMissingAttributeNeverMatches(t *testing.T) {
	for _, op := range []Condition{
		{Attribute: "plan", Op: OpNotEquals, Value: "free"},
		{Attribute: "plan", Op: OpNotIn, Values: []string{"free"}},
		{Attribute: "plan", Op: OpLT, Value: "10"},
		{Attribute: "plan", Op: OpSemverLT, Value: "10"},
		{Attribute: "plan", Op: OpPercentage, Percent: pct(100)},
	} {
		c := mustCompile(t, Flag{Key: "f", Type: TypeBoolean, Enabled: true, DefaultVariant: VariantOff,
			Rules: []Rule{{Conditions: []Condition{op}}}})
		if r := c.Evaluate(&Context{UserID: "u"}); r.Reason != ReasonDefault {
			t.Errorf("%s on a missing attribute matched: %+v", op.Op, r)
		}
		if r := c.Evaluate(&Context{UserID: "u", Attributes: map[string]string{"plan": "1"}}); r.Reason != ReasonRule {
			t.Errorf("%s on a present attribute did not match: %+v", op.Op, r)
		}
	}
}

// rollout is a boolean flag that is on for p percent of users.
func rollout(key string, p float64) *Compiled {
	c, err := Compile(Flag{Key: key, Type: TypeBoolean, Enabled: true, DefaultVariant: VariantOff,
		Rules: []Rule{{Conditions: []Condition{{Op: OpPercentage, Percent: &p}}, Variant: VariantOn}}})
	if err != nil {
		panic(err)
	}
	return c
}

// TestRolloutStickyAndEven: raising a rollout only ever adds users (everyone in at 10% is still in at 20%,
// and so on up to 100%), and each share lets in that share of 10,000 users within 4 standard deviations of
// the binomial spread (for 20%: 2000 +/- 160).
func TestRolloutStickyAndEven(t *testing.T) {
	const users = 10_000
	steps := []float64{0, 0.5, 1, 5, 10, 20, 33.333, 50, 75, 99, 100}
	in := make([]bool, users)
	for _, p := range steps {
		c := rollout("new-checkout", p)
		n := 0
		for u := range users {
			r := c.Evaluate(&Context{UserID: fmt.Sprintf("user-%d", u)})
			now := r.Variant == VariantOn
			if in[u] && !now {
				t.Fatalf("user-%d was in before %v%% and is out at %v%%", u, p, p)
			}
			in[u] = now
			if now {
				n++
			}
		}
		want := users * p / 100
		tolerance := 4 * math.Sqrt(users*(p/100)*(1-p/100))
		if math.Abs(float64(n)-want) > tolerance {
			t.Errorf("%v%%: %d of %d users in, want %.0f +/- %.0f", p, n, users, want, tolerance)
		}
		if (p == 0 && n != 0) || (p == 100 && n != users) {
			t.Errorf("%v%%: %d users in", p, n)
		}
	}
}

// TestRolloutIndependentAcrossFlags: two flags at 50% do not select the same half (the flag key salts the
// hash): about a quarter of users are in both.
func TestRolloutIndependentAcrossFlags(t *testing.T) {
	a, b := rollout("flag-a", 50), rollout("flag-b", 50)
	both := 0
	for u := range 10_000 {
		ctx := Context{UserID: fmt.Sprintf("user-%d", u)}
		if a.Evaluate(&ctx).On && b.Evaluate(&ctx).On {
			both++
		}
	}
	if both < 2500-4*43 || both > 2500+4*43 { // sd = sqrt(10000 * .25 * .75) ~ 43
		t.Errorf("%d users in both 50%% rollouts, want about 2500", both)
	}
}

// TestWeightedVariants: a 50/30/20 split of 10,000 users lands within 4 standard deviations of each
// share, and a user keeps its variant when evaluated again.
func TestWeightedVariants(t *testing.T) {
	f := abTest()
	f.Rules = nil
	c := mustCompile(t, f)
	counts := map[string]int{}
	for u := range 10_000 {
		ctx := Context{UserID: fmt.Sprintf("user-%d", u)}
		r := c.Evaluate(&ctx)
		if r.Reason != ReasonDefault || r.Rule != -1 {
			t.Fatalf("Evaluate = %+v, want the default split", r)
		}
		if again := c.Evaluate(&ctx); again.Variant != r.Variant {
			t.Fatalf("user-%d got %s then %s", u, r.Variant, again.Variant)
		}
		counts[r.Variant]++
	}
	for _, v := range f.Variants {
		p := float64(v.Weight) / 100
		want, tol := 10_000*p, 4*math.Sqrt(10_000*p*(1-p))
		if math.Abs(float64(counts[v.Name])-want) > tol {
			t.Errorf("variant %s: %d users, want %.0f +/- %.0f", v.Name, counts[v.Name], want, tol)
		}
	}
	// "control" is the off variant: users split into it count as not on.
	if r := c.Evaluate(&Context{UserID: "user-1"}); r.On != (r.Variant != "control") {
		t.Errorf("On = %t for %s", r.On, r.Variant)
	}
	// A zero-weight variant is never chosen by the split but can be served by a rule.
	f.Variants = append(f.Variants, Variant{"dark-launch", 0})
	f.Rules = []Rule{{Conditions: []Condition{{Attribute: "team", Op: OpEquals, Value: "qa"}}, Variant: "dark-launch"}}
	c = mustCompile(t, f)
	for u := range 2000 {
		if r := c.Evaluate(&Context{UserID: fmt.Sprintf("user-%d", u)}); r.Variant == "dark-launch" {
			t.Fatalf("zero-weight variant served by the split: %+v", r)
		}
	}
	if r := c.Evaluate(&Context{UserID: "q", Attributes: map[string]string{"team": "qa"}}); r.Variant != "dark-launch" {
		t.Errorf("rule to a zero-weight variant = %+v", r)
	}
}

func TestPercentageByAttribute(t *testing.T) {
	// Bucketing by org keeps every user of one org together.
	c := mustCompile(t, Flag{Key: "org-rollout", Type: TypeBoolean, Enabled: true, DefaultVariant: VariantOff,
		Rules: []Rule{{Conditions: []Condition{{Attribute: "org", Op: OpPercentage, Percent: pct(50)}}, Variant: VariantOn}}})
	for o := range 50 {
		org := fmt.Sprintf("org-%d", o)
		first := c.Evaluate(&Context{UserID: "a", Attributes: map[string]string{"org": org}}).Variant
		for u := range 20 {
			if got := c.Evaluate(&Context{UserID: fmt.Sprintf("u%d", u), Attributes: map[string]string{"org": org}}).Variant; got != first {
				t.Fatalf("%s: users differ (%s, %s)", org, first, got)
			}
		}
	}
}

func TestSemverOrder(t *testing.T) {
	// Each version ranks strictly below the next (the semver.org precedence example, and more).
	order := []string{"0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "v1.2", "1.10.0", "2", "10.0.0"}
	for i := range order {
		for j := range order {
			a, okA := parseSemver(order[i])
			b, okB := parseSemver(order[j])
			if !okA || !okB {
				t.Fatalf("parse %q, %q: %t %t", order[i], order[j], okA, okB)
			}
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.compare(b); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	for _, eq := range [][2]string{{"1.2.3", "1.2.3+build.5"}, {"v1", "1.0.0"}, {"1.2", "1.2.0"}} {
		a, _ := parseSemver(eq[0])
		b, _ := parseSemver(eq[1])
		if a.compare(b) != 0 {
			t.Errorf("%s != %s", eq[0], eq[1])
		}
	}
	for _, bad := range []string{"", "v", "1.", ".1", "1..2", "1.2.3.4", "01", "1.02", "1.2.3-", "1.2.3-a..b",
		"1.2.3-01", "1.2.3+", "1.2.3+a_b", "-1", "1.2.x", "99999999999999999"} {
		if _, ok := parseSemver(bad); ok {
			t.Errorf("parseSemver(%q) accepted", bad)
		}
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	f := abTest()
	f.Rules = append(f.Rules, Rule{Conditions: []Condition{
		{Attribute: "app", Op: OpSemverGTE, Value: "2.0.0-rc.1"}, {Attribute: "age", Op: OpGT, Value: "21"},
		{Op: OpPercentage, Percent: pct(30)}}})
	c := mustCompile(t, f)
	ctx := Context{UserID: "user-42", Attributes: map[string]string{"plan": "pro", "app": "2.1.0-beta.3", "age": "30"}}
	if n := testing.AllocsPerRun(1000, func() { c.Evaluate(&ctx) }); n != 0 {
		t.Errorf("Evaluate allocates %v times per call, want 0", n)
	}
}
