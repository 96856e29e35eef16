package flagapp_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports/mocks"
)

// BenchmarkSnapshotEvaluate measures an evaluation the way callers make it: snapshot lookup, the pure
// evaluator (a set, a semver and a percentage condition) and the evaluation count, for 10,000 users in turn.
// No round trip: the store is a mock that is only asked once, to load.
func BenchmarkSnapshotEvaluate(b *testing.B) {
	ctrl := gomock.NewController(b)
	store := mocks.NewMockFlagStore(ctrl)
	p := 20.0
	f := flag.Flag{Key: "bench-rollout", Type: flag.TypeBoolean, Enabled: true, DefaultVariant: flag.VariantOff,
		Deny: []string{"user-13"}, Version: 1,
		Rules: []flag.Rule{
			{Conditions: []flag.Condition{{Attribute: "plan", Op: flag.OpIn, Values: []string{"staff", "internal"}}}, Variant: flag.VariantOn},
			{Conditions: []flag.Condition{{Attribute: "app_version", Op: flag.OpSemverGTE, Value: "2.0.0"}, {Op: flag.OpPercentage, Percent: &p}}, Variant: flag.VariantOn},
		}}
	store.EXPECT().All(gomock.Any()).Return(flag.Set{Version: 1, Flags: []flag.Flag{f}}, nil)
	snap := flagapp.NewSnapshot(store, flagapp.DefaultConfig())
	if err := snap.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctxs := make([]flag.Context, 10_000)
	for i := range ctxs {
		ctxs[i] = flag.Context{UserID: "user-" + strconv.Itoa(i), Attributes: map[string]string{"plan": "pro", "app_version": "2.4.1"}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		snap.Evaluate("bench-rollout", &ctxs[i%len(ctxs)])
	}
}
