package jobapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/harness"
)

// TestMain stops the redis-server the Example starts.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// A module registers a handler for its job type, enqueues a job through the Service, and the worker
// runtime (in this process or in `statekit worker`) runs it once.
func Example() {
	ctx := context.Background()
	rdb, err := harness.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Client.Close()
	store := jobredis.New(rdb.Client, rdb.Prefix, nil)

	sent := make(chan string, 1)
	welcome := ports.JobHandler{
		Type: "mail.welcome",
		Handle: func(ctx context.Context, j job.Job) ([]byte, error) {
			var in struct{ User string }
			if err := json.Unmarshal(j.Payload, &in); err != nil {
				return nil, job.NoRetry(err) // a bad payload never gets better
			}
			sent <- in.User // stands in for sending the mail
			return nil, nil
		},
	}
	handlers := []ports.JobHandler{welcome}
	cfg := jobapp.DefaultConfig()
	jobs, err := jobapp.NewService(store, handlers, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	workers, err := jobapp.NewRuntime(cfg, store, store, eventlog.Discard{}, nil, jobcron.New(),
		slog.New(slog.DiscardHandler), handlers, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := workers.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer workers.Stop(ctx)

	e, err := jobs.Enqueue(ctx, job.NewJob{Type: "mail.welcome", Payload: []byte(`{"User":"ada"}`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("enqueued:", e.State)
	select {
	case user := <-sent:
		fmt.Println("welcome mail sent to", user)
	case <-time.After(10 * time.Second):
		fmt.Println("the job did not run")
	}
	// Output:
	// enqueued: pending
	// welcome mail sent to ada
}
