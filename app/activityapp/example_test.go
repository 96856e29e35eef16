package activityapp_test

import (
	"context"
	"fmt"

	"github.com/statekit/statekit/adapters/redis/activityredis"
	"github.com/statekit/statekit/app/activityapp"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/harness"
)

// Record an activity twice under one idempotency key (a retried request): the feed holds it once.
func ExampleService_Record() {
	ctx := context.Background()
	rdb, err := harness.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Client.Close()
	policy := activity.DefaultPolicy()
	svc := activityapp.NewService(activityredis.New(rdb.Client, rdb.Prefix, policy, nil), &eventlog.Printer{}, policy)

	viewed := activity.NewActivity{ID: "req-81", UserID: "ada", Action: "product.viewed", Object: "mug"}
	for range 2 {
		st, err := svc.Record(ctx, viewed)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("duplicate:", st.Duplicate)
	}
	page, err := svc.Feed(ctx, "ada", "", 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range page.Items {
		fmt.Println(a.Action, a.Object)
	}
	// Output:
	// event: activity.recorded
	// duplicate: false
	// event: activity.recorded
	// duplicate: true
	// product.viewed mug
}
