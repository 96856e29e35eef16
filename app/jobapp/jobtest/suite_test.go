package jobtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/app/jobapp/jobtest"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// subject is one Enqueuer under test; drain makes its workers run what was enqueued (the real runtime
// runs on its own), and ran receives every job the "mail.send" handler ran.
type subject struct {
	jobs  jobapp.Enqueuer
	drain func()
	ran   <-chan job.Job
}

// handlers are the job types the suite enqueues: "mail.send" reports its runs on ran and accepts only a
// payload with a "to".
func handlers(ran chan<- job.Job) []ports.JobHandler {
	return []ports.JobHandler{{
		Type: "mail.send",
		Handle: func(_ context.Context, j job.Job) ([]byte, error) {
			ran <- j
			return nil, nil
		},
		Validate: func(p []byte) error {
			var in struct{ To string }
			if err := json.Unmarshal(p, &in); err != nil || in.To == "" {
				return errors.New(`want {"To": "..."}`)
			}
			return nil
		},
	}}
}

// each runs the behaviour test against the fake and against the real jobs service and worker runtime on
// Redis (standalone and cluster), so the fake cannot drift from what it stands in for.
func each(t *testing.T, test func(t *testing.T, s subject)) {
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		ran := make(chan job.Job, 16)
		f, err := jobtest.New(handlers(ran)...)
		if err != nil {
			t.Fatal(err)
		}
		test(t, subject{jobs: f, ran: ran, drain: func() {
			if err := f.Run(context.Background()); err != nil {
				t.Error(err)
			}
		}})
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		harness.Each(t, func(t *testing.T, tg harness.Target) {
			ran := make(chan job.Job, 16)
			hs := handlers(ran)
			store := jobredis.New(tg.Client, tg.Prefix, nil)
			cfg := jobapp.DefaultConfig()
			svc, err := jobapp.NewService(store, hs, cfg)
			if err != nil {
				t.Fatal(err)
			}
			rt, err := jobapp.NewRuntime(cfg, store, store, eventlog.Discard{}, nil, jobcron.New(),
				slog.New(slog.DiscardHandler), hs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := rt.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = rt.Stop(ctx)
			})
			test(t, subject{jobs: svc, ran: ran, drain: func() {}})
		})
	})
}

// TestEnqueuedJobRunsOnceThroughItsHandler: the handler gets the job as enqueued, once.
func TestEnqueuedJobRunsOnceThroughItsHandler(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		e, err := s.jobs.Enqueue(context.Background(), job.NewJob{Type: "mail.send", Payload: []byte(`{"To":"ada"}`)})
		if err != nil || e.ID == "" || e.State != job.StatePending || e.Queue != "default" {
			t.Fatalf("Enqueue = %+v, %v; want a pending job in the default queue", e, err)
		}
		s.drain()
		j := wait.Receive(t, 20*time.Second, "the job's run", s.ran)
		if j.ID != e.ID || j.Type != "mail.send" || string(j.Payload) != `{"To":"ada"}` {
			t.Errorf("handler got %+v, want the enqueued job %s", j, e.ID)
		}
		s.drain()
		wait.Nothing(t, 200*time.Millisecond, "a second run", s.ran)
	})
}

func TestDelayedJobIsScheduled(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		e, err := s.jobs.Enqueue(context.Background(), job.NewJob{Type: "mail.send", Payload: []byte(`{"To":"bob"}`),
			Delay: time.Hour})
		if err != nil || e.State != job.StateScheduled {
			t.Errorf("Enqueue with a delay = %+v, %v; want scheduled", e, err)
		}
	})
}

func TestBadJobsAreRefused(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		for _, c := range []struct {
			name string
			n    job.NewJob
			want error
		}{
			{"unknown type", job.NewJob{Type: "mail.unknown"}, job.ErrUnknownType},
			{"payload the validator refuses", job.NewJob{Type: "mail.send", Payload: []byte(`{}`)}, job.ErrInvalidPayload},
			{"payload that is not JSON", job.NewJob{Type: "mail.send", Payload: []byte(`{`)}, job.ErrInvalid},
			{"priority out of range", job.NewJob{Type: "mail.send", Payload: []byte(`{"To":"x"}`), Priority: 10}, job.ErrInvalid},
		} {
			if _, err := s.jobs.Enqueue(ctx, c.n); !errors.Is(err, c.want) {
				t.Errorf("%s: Enqueue = %v, want %v", c.name, err, c.want)
			}
		}
		if _, err := s.jobs.EnqueueBatch(ctx, nil); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("empty batch = %v, want job.ErrInvalid", err)
		}
	})
}

// TestUniqueKeys: a live job's unique key refuses a second job (naming the first), in Enqueue and in
// EnqueueBatch; a batch with one bad job stores none.
func TestUniqueKeys(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s subject) {
		ctx := context.Background()
		mail := func(key string) job.NewJob {
			return job.NewJob{Type: "mail.send", Payload: []byte(`{"To":"ada"}`), UniqueKey: key, Delay: time.Hour}
		}
		first, err := s.jobs.Enqueue(ctx, mail("welcome-ada"))
		if err != nil {
			t.Fatal(err)
		}
		var dup *job.DuplicateError
		if _, err := s.jobs.Enqueue(ctx, mail("welcome-ada")); !errors.As(err, &dup) || dup.ExistingID != first.ID {
			t.Errorf("second Enqueue = %v, want a *job.DuplicateError naming %s", err, first.ID)
		}

		if _, err := s.jobs.EnqueueBatch(ctx, []job.NewJob{mail("batch-1"), {Type: "mail.unknown"}}); !errors.Is(err, job.ErrUnknownType) {
			t.Fatalf("batch with an unknown type = %v, want job.ErrUnknownType", err)
		}
		res, err := s.jobs.EnqueueBatch(ctx, []job.NewJob{mail("batch-1"), mail("welcome-ada")})
		if err != nil || len(res) != 2 {
			t.Fatalf("EnqueueBatch = %+v, %v", res, err)
		}
		if res[0].Err != nil || res[0].ID == "" {
			t.Errorf("batch-1 = %+v; want it stored (the refused batch stored nothing)", res[0])
		}
		if !errors.As(res[1].Err, &dup) || dup.ExistingID != first.ID || res[1].ID != "" {
			t.Errorf("welcome-ada in a batch = %+v, want a *job.DuplicateError naming %s", res[1], first.ID)
		}
	})
}

// TestFakeRecordsAndRetries is about the fake alone: what a unit test reads back after Run.
func TestFakeRecordsAndRetries(t *testing.T) {
	t.Parallel()
	attempts := 0
	flaky := ports.JobHandler{Type: "flaky", Handle: func(context.Context, job.Job) ([]byte, error) {
		attempts++
		if attempts < 2 {
			return nil, errors.New("try again")
		}
		return []byte(`"ok"`), nil
	}}
	broken := ports.JobHandler{Type: "broken", Handle: func(context.Context, job.Job) ([]byte, error) {
		return nil, job.NoRetry(errors.New("bad input"))
	}}
	f, err := jobtest.New(flaky, broken)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := f.Enqueue(ctx, job.NewJob{Type: "flaky"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Enqueue(ctx, job.NewJob{Type: "broken"}); err != nil {
		t.Fatal(err)
	}
	if got := f.Jobs(); len(got) != 2 || got[0].State != job.StatePending {
		t.Fatalf("Jobs before Run = %+v", got)
	}
	if err := f.Run(ctx); !errors.Is(err, job.ErrNoRetry) {
		t.Errorf("Run = %v, want the dead job's error", err)
	}
	got := f.Jobs()
	if got[0].State != job.StateCompleted || got[0].Attempts != 2 || string(got[0].Result) != `"ok"` {
		t.Errorf("flaky job = %+v, want completed on its second attempt", got[0])
	}
	if got[1].State != job.StateDead || got[1].Attempts != 1 || got[1].LastError == "" {
		t.Errorf("broken job = %+v, want dead after one attempt", got[1])
	}
}
