package flag

import (
	"strconv"
	"testing"
)

// BenchmarkEvaluate measures the pure evaluator on a flag with allow/deny lists, three rules (set,
// semver and numeric conditions, then a percentage) and a weighted default, for users that fall through
// to the default (the longest path).
func BenchmarkEvaluate(b *testing.B) {
	f := abTest()
	f.Allow, f.Deny = []string{"vip-1", "vip-2"}, []string{"blocked"}
	f.Rules = append(f.Rules,
		Rule{Conditions: []Condition{{Attribute: "app", Op: OpSemverGTE, Value: "3.0.0"}, {Attribute: "age", Op: OpGT, Value: "21"}}, Variant: "one-page"},
		Rule{Conditions: []Condition{{Op: OpPercentage, Percent: pct(5)}}, Variant: "wizard"})
	c := mustCompile(b, f)
	ctxs := make([]Context, 1024)
	for i := range ctxs {
		ctxs[i] = Context{UserID: "user-" + strconv.Itoa(i), Attributes: map[string]string{"plan": "pro", "app": "2.9.1", "age": "30"}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.Evaluate(&ctxs[i&1023])
	}
}
