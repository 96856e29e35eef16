package flagapp_test

import (
	"context"
	"fmt"

	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/harness"
)

// A flag that serves "on" to users on the pro plan and "off" to everyone else. Evaluation reads this
// instance's snapshot: no round trip.
func ExampleService_Evaluate() {
	ctx := context.Background()
	rdb, err := harness.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Client.Close()
	store := flagredis.New(rdb.Client, rdb.Prefix, nil)
	snap := flagapp.NewSnapshot(store, flagapp.DefaultConfig())
	svc := flagapp.NewService(store, eventlog.Discard{}, snap)

	beta := flag.Flag{Key: "new-search", Type: flag.TypeBoolean, Enabled: true, DefaultVariant: flag.VariantOff,
		Rules: []flag.Rule{{
			Conditions: []flag.Condition{{Attribute: "plan", Op: flag.OpEquals, Value: "pro"}},
			Variant:    flag.VariantOn,
		}}}
	if _, err := svc.Put(ctx, "ops", beta, flag.MustNotExist); err != nil {
		fmt.Println(err)
		return
	}
	for _, who := range []flag.Context{
		{UserID: "ada", Attributes: map[string]string{"plan": "pro"}},
		{UserID: "bob", Attributes: map[string]string{"plan": "free"}},
	} {
		results, _, err := svc.Evaluate(who, []string{"new-search"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(who.UserID, results[0].Variant, results[0].On)
	}
	// Output:
	// ada on true
	// bob off false
}
