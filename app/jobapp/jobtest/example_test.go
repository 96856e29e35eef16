package jobtest_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/app/jobapp/jobtest"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// signup is code under test: it depends on a jobapp.Enqueuer, not on the jobs service.
type signup struct{ jobs jobapp.Enqueuer }

func (s signup) complete(ctx context.Context, user string) error {
	payload, err := json.Marshal(map[string]string{"user": user})
	if err != nil {
		return err
	}
	_, err = s.jobs.Enqueue(ctx, job.NewJob{Type: "mail.welcome", Payload: payload})
	return err
}

// A unit test hands the code a fake, then runs what it enqueued through the real handler.
func Example() {
	ctx := context.Background()
	welcome := ports.JobHandler{Type: "mail.welcome", Handle: func(_ context.Context, j job.Job) ([]byte, error) {
		fmt.Println("welcome mail for", string(j.Payload))
		return nil, nil
	}}
	jobs, err := jobtest.New(welcome)
	if err != nil {
		fmt.Println(err)
		return
	}

	if err := (signup{jobs: jobs}).complete(ctx, "ada"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("enqueued:", len(jobs.Jobs()), jobs.Jobs()[0].State)
	if err := jobs.Run(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("after Run:", jobs.Jobs()[0].State)
	// Output:
	// enqueued: 1 pending
	// welcome mail for {"user":"ada"}
	// after Run: completed
}
