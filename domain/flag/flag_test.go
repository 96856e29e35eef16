package flag

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func pct(p float64) *float64 { return &p }

// abTest is a valid multivariate flag the tests vary.
func abTest() Flag {
	return Flag{
		Key: "checkout-ab", Type: TypeMultivariate, Enabled: true,
		Variants:   []Variant{{"control", 50}, {"one-page", 30}, {"wizard", 20}},
		OffVariant: "control",
		Rules: []Rule{{Name: "beta", Variant: "wizard",
			Conditions: []Condition{{Attribute: "plan", Op: OpIn, Values: []string{"beta", "staff"}}}}},
	}
}

func TestValidateAcceptsGoodFlags(t *testing.T) {
	good := []Flag{
		{Key: "dark-mode", Type: TypeBoolean},
		{Key: "new.search_v2", Type: TypeBoolean, Enabled: true, DefaultVariant: VariantOff, OffVariant: VariantOff,
			Allow: []string{"alice", "bob@example.com"}, Deny: []string{"mallory"},
			Rules: []Rule{
				{Conditions: []Condition{{Op: OpPercentage, Percent: pct(12.345)}}, Variant: VariantOn},
				{Conditions: []Condition{{Attribute: "org", Op: OpPercentage, Percent: pct(0)}}},
				{Conditions: []Condition{{Attribute: "age", Op: OpGTE, Value: "18"}, {Attribute: "age", Op: OpLT, Value: "6.5e1"}}},
				{Conditions: []Condition{{Attribute: "app", Op: OpSemverGTE, Value: "v2.4"}, {Attribute: "app", Op: OpSemverLT, Value: "3.0.0-rc.1+b7"}}},
				{Conditions: []Condition{{Attribute: "country", Op: OpNotIn, Values: []string{"", "KP"}}}},
				{Conditions: []Condition{{Attribute: "tier", Op: OpNotEquals, Value: "free"}}},
			}},
		abTest(),
	}
	for _, f := range good {
		if err := f.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v, want nil", f.Key, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	mutate := func(f func(*Flag)) Flag {
		fl := abTest()
		f(&fl)
		return fl
	}
	cond := func(c Condition) Flag {
		return mutate(func(f *Flag) { f.Rules = []Rule{{Conditions: []Condition{c}}} })
	}
	cases := map[string]Flag{
		"empty key":               mutate(func(f *Flag) { f.Key = "" }),
		"key with colon":          mutate(func(f *Flag) { f.Key = "a:b" }),
		"key with braces":         mutate(func(f *Flag) { f.Key = "{a}" }),
		"key with star":           mutate(func(f *Flag) { f.Key = "a*" }),
		"key starting with dot":   mutate(func(f *Flag) { f.Key = ".a" }),
		"key too long":            mutate(func(f *Flag) { f.Key = strings.Repeat("k", 65) }),
		"unknown type":            mutate(func(f *Flag) { f.Type = "ternary" }),
		"no type":                 mutate(func(f *Flag) { f.Type = "" }),
		"long description":        mutate(func(f *Flag) { f.Description = strings.Repeat("d", 1025) }),
		"one variant":             mutate(func(f *Flag) { f.Variants = f.Variants[:1] }),
		"duplicate variant":       mutate(func(f *Flag) { f.Variants[1].Name = "control" }),
		"variant name with colon": mutate(func(f *Flag) { f.Variants[1].Name = "a:b" }),
		"negative weight":         mutate(func(f *Flag) { f.Variants[0].Weight = -1 }),
		"absurd weight":           mutate(func(f *Flag) { f.Variants[0].Weight = MaxWeight + 1 }),
		"weights add up to 0":     mutate(func(f *Flag) { f.Variants = []Variant{{"a", 0}, {"b", 0}} }),
		"no off variant":          mutate(func(f *Flag) { f.OffVariant = "" }),
		"unknown off variant":     mutate(func(f *Flag) { f.OffVariant = "nope" }),
		"unknown default":         mutate(func(f *Flag) { f.DefaultVariant = "nope" }),
		"unknown rule variant":    mutate(func(f *Flag) { f.Rules[0].Variant = "nope" }),
		"boolean with variants":   {Key: "b", Type: TypeBoolean, Variants: []Variant{{"on", 1}, {"off", 1}}},
		"boolean other variant":   {Key: "b", Type: TypeBoolean, DefaultVariant: "maybe"},
		"boolean off variant on":  {Key: "b", Type: TypeBoolean, OffVariant: VariantOn},
		"user on both lists":      mutate(func(f *Flag) { f.Allow, f.Deny = []string{"x"}, []string{"x"} }),
		"allow id with colon":     mutate(func(f *Flag) { f.Allow = []string{"a:b"} }),
		"deny id with star":       mutate(func(f *Flag) { f.Deny = []string{"*"} }),
		"deny id with brace":      mutate(func(f *Flag) { f.Deny = []string{"{u}"} }),
		"empty allow id":          mutate(func(f *Flag) { f.Allow = []string{""} }),
		"rule without conditions": mutate(func(f *Flag) { f.Rules = []Rule{{Variant: "wizard"}} }),
		"too many rules":          mutate(func(f *Flag) { f.Rules = make([]Rule, MaxRules+1) }),
		"unknown op":              cond(Condition{Attribute: "a", Op: "matches", Value: ".*"}),
		"no op":                   cond(Condition{Attribute: "a", Value: "x"}),
		"no attribute":            cond(Condition{Op: OpEquals, Value: "x"}),
		"attribute with colon":    cond(Condition{Attribute: "a:b", Op: OpEquals, Value: "x"}),
		"equals without value":    cond(Condition{Attribute: "a", Op: OpEquals}),
		"equals with values":      cond(Condition{Attribute: "a", Op: OpEquals, Value: "x", Values: []string{"y"}}),
		"in without values":       cond(Condition{Attribute: "a", Op: OpIn}),
		"in with empty values":    cond(Condition{Attribute: "a", Op: OpIn, Values: []string{}}),
		"in with value":           cond(Condition{Attribute: "a", Op: OpIn, Value: "x", Values: []string{"x"}}),
		"in with too many values": cond(Condition{Attribute: "a", Op: OpIn, Values: make([]string, MaxValues+1)}),
		"lt not a number":         cond(Condition{Attribute: "a", Op: OpLT, Value: "ten"}),
		"gt NaN":                  cond(Condition{Attribute: "a", Op: OpGT, Value: "NaN"}),
		"gte infinity":            cond(Condition{Attribute: "a", Op: OpGTE, Value: "+Inf"}),
		"semver garbage":          cond(Condition{Attribute: "a", Op: OpSemverLT, Value: "2.x"}),
		"semver four parts":       cond(Condition{Attribute: "a", Op: OpSemverLT, Value: "1.2.3.4"}),
		"semver leading zero":     cond(Condition{Attribute: "a", Op: OpSemverLT, Value: "01.2.3"}),
		"percentage missing":      cond(Condition{Op: OpPercentage}),
		"percentage negative":     cond(Condition{Op: OpPercentage, Percent: pct(-0.001)}),
		"percentage over 100":     cond(Condition{Op: OpPercentage, Percent: pct(100.0001)}),
		"percentage absurd":       cond(Condition{Op: OpPercentage, Percent: pct(1e300)}),
		"percentage NaN":          cond(Condition{Op: OpPercentage, Percent: pct(math.NaN())}),
		"percentage infinite":     cond(Condition{Op: OpPercentage, Percent: pct(math.Inf(1))}),
		"percentage with value":   cond(Condition{Op: OpPercentage, Percent: pct(5), Value: "5"}),
		"percent on equals":       cond(Condition{Attribute: "a", Op: OpEquals, Value: "x", Percent: pct(5)}),
	}
	for name, f := range cases {
		err := f.Validate()
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", name, err)
		}
	}
}

func TestParseIsStrict(t *testing.T) {
	bad := []string{
		``, `null`, `[]`, `{"key":"a","type":"boolean"}{}`, `{"key":"a","type":"boolean"}}`,
		`{"key":"a","type":"boolean","unknown":1}`,
		`{"key":"a","type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":"20"}]}]}`,
		`{"key":"a","type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":1e999}]}]}`,
		`{"key":"a","type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":250}]}]}`,
		`{"key":"a","type":"boolean","rules":"everyone"}`,
	}
	for _, s := range bad {
		if _, err := Parse([]byte(s)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", s, err)
		}
	}
	c, err := Parse([]byte(`{"key":"a","type":"boolean","enabled":true,
		"rules":[{"conditions":[{"op":"percentage","percent":100}],"variant":"on"}],"default_variant":"off"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Evaluate(&Context{UserID: "u"}); r.Variant != VariantOn || r.Reason != ReasonRule {
		t.Errorf("Evaluate = %+v, want on by rule", r)
	}
}

func TestContextValidate(t *testing.T) {
	long := strings.Repeat("v", MaxAttrValueLen+1)
	many := map[string]string{}
	for i := range MaxAttributes + 1 {
		many[strings.Repeat("a", i+1)] = "x"
	}
	bad := []Context{
		{},
		{UserID: "a:b"},
		{UserID: "{a}"},
		{UserID: "a*"},
		{UserID: "u", Attributes: map[string]string{"user_id": "other"}},
		{UserID: "u", Attributes: map[string]string{"a:b": "x"}},
		{UserID: "u", Attributes: map[string]string{"a": long}},
		{UserID: "u", Attributes: many},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Context%+v.Validate() = %v, want ErrInvalid", c.UserID, err)
		}
	}
	if err := (Context{UserID: "u-1@x.org", Attributes: map[string]string{"plan": "pro"}}).Validate(); err != nil {
		t.Errorf("Validate of a good context = %v", err)
	}
}
