package flag

import (
	"errors"
	"testing"
)

// FuzzParseEvaluate feeds arbitrary flag documents and evaluation contexts to the parser and the
// evaluator. Whatever the input: Parse never panics and refuses only with ErrInvalid; a flag it accepts
// evaluates to one of its own variants for a documented reason, deterministically, with the rule index in
// range, and a disabled flag always serves its off variant.
func FuzzParseEvaluate(f *testing.F) {
	seeds := []struct{ doc, user, attr, value string }{
		{`{"key":"dark-mode","type":"boolean","enabled":true}`, "alice", "plan", "pro"},
		{`{"key":"new-checkout","type":"boolean","enabled":true,"default_variant":"off",
		   "rules":[{"conditions":[{"op":"percentage","percent":12.5}],"variant":"on"}]}`, "user-7", "", ""},
		{`{"key":"ab","type":"multivariate","enabled":true,"variants":[{"name":"a","weight":1},{"name":"b","weight":3}],
		   "off_variant":"a","allow":["vip"],"deny":["bad"],
		   "rules":[{"name":"r","conditions":[{"attribute":"app","op":"semver_gte","value":"2.4.0-rc.1"},
		                                      {"attribute":"age","op":"lt","value":"65"}],"variant":"b"}]}`, "vip", "app", "2.4.0"},
		{`{"key":"geo","type":"boolean","enabled":true,"rules":[{"conditions":[{"attribute":"country","op":"not_in","values":["KP","IR"]}]}]}`, "u", "country", "DE"},
		{`{"key":"k","type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":1e999}]}]}`, "u", "", ""},
		{`{"key":"k","type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":-5}]}]}`, "u", "", ""},
		{`{"key":"k:{x}*","type":"boolean"}`, "u:*", "a", "b"},
		{`{"key":"k","type":"multivariate","variants":[{"name":"a","weight":0},{"name":"b","weight":0}],"off_variant":"a"}`, "u", "", ""},
		{`{"key":"k","type":"boolean","rules":[{"conditions":[{"attribute":"v","op":"semver_lt","value":"1.2.3-01"}]}]}`, "u", "v", "1"},
		{`{"key":"k","type":"boolean","enabled":true,"rules":[{"conditions":[{"attribute":"n","op":"gte","value":"NaN"}]}]}`, "u", "n", "NaN"},
		{`{"key":"k","type":"boolean","rules":[{"conditions":[]}]}`, "u", "", ""},
		{`{"key":"k","type":"boolean","enabled":true}{"more":1}`, "u", "", ""},
		{`not json`, "", "", ""},
	}
	for _, s := range seeds {
		f.Add([]byte(s.doc), s.user, s.attr, s.value)
	}
	f.Fuzz(func(t *testing.T, doc []byte, user, attr, value string) {
		c, err := Parse(doc)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) = %v, want an ErrInvalid error", doc, err)
			}
			return
		}
		fl := c.Flag()
		if err := fl.Validate(); err != nil {
			t.Fatalf("Parse accepted %q but Validate says %v", doc, err)
		}
		ctx := Context{UserID: user, Attributes: map[string]string{attr: value}}
		r := c.Evaluate(&ctx)
		variants := c.Variants()
		if r.VariantIndex < 0 || r.VariantIndex >= len(variants) || variants[r.VariantIndex] != r.Variant {
			t.Fatalf("%q: variant %q at %d of %v", doc, r.Variant, r.VariantIndex, variants)
		}
		if r.Rule < -1 || r.Rule >= len(fl.Rules) || (r.Rule >= 0) != (r.Reason == ReasonRule) {
			t.Fatalf("%q: rule %d with reason %s", doc, r.Rule, r.Reason)
		}
		switch r.Reason {
		case ReasonOff, ReasonDenied:
			if r.On {
				t.Fatalf("%q: %s but on", doc, r.Reason)
			}
		case ReasonAllowed, ReasonRule, ReasonDefault:
		default:
			t.Fatalf("%q: reason %q", doc, r.Reason)
		}
		if !fl.Enabled && r.Reason != ReasonOff {
			t.Fatalf("%q: disabled flag evaluated by %s", doc, r.Reason)
		}
		if again := c.Evaluate(&ctx); again != r {
			t.Fatalf("%q: %+v then %+v", doc, r, again)
		}
	})
}
