package jobapp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

var errStore = errors.New("store down")

func nop(context.Context, job.Job) ([]byte, error) { return nil, nil }

// handlers: "mail.send" with a validator that refuses payloads without "to", and "report".
func handlers() []ports.JobHandler {
	return []ports.JobHandler{
		{Type: "mail.send", Handle: nop, Validate: func(p []byte) error {
			if !strings.Contains(string(p), `"to"`) {
				return errors.New(`needs "to"`)
			}
			return nil
		}},
		{Type: "report", Handle: nop},
	}
}

type fixture struct {
	ctx   context.Context
	queue *mocks.MockJobQueue
	svc   *jobapp.Service
}

// newFixture returns a service on a mock store with no expectations: any call a test did not expect fails it.
func newFixture(t *testing.T) fixture {
	ctrl := gomock.NewController(t)
	q := mocks.NewMockJobQueue(ctrl)
	cfg := jobapp.DefaultConfig()
	cfg.Defaults = job.Defaults{Queue: "main", MaxRetries: 7, Timeout: time.Minute}
	svc, err := jobapp.NewService(q, handlers(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{ctx: context.Background(), queue: q, svc: svc}
}

func TestEnqueueAppliesDefaults(t *testing.T) {
	f := newFixture(t)
	f.queue.EXPECT().Enqueue(gomock.Any(), "main", gomock.Any()).DoAndReturn(
		func(_ context.Context, q string, specs []job.Spec) ([]job.Enqueued, error) {
			sp := specs[0]
			if len(specs) != 1 || sp.Queue != "main" || sp.Type != "report" || sp.MaxRetries != 7 || sp.Timeout != time.Minute ||
				job.ValidateID(sp.ID) != nil || sp.Delay != 30*time.Second {
				t.Errorf("spec = %+v", sp)
			}
			return []job.Enqueued{{ID: sp.ID, Queue: q, State: job.StateScheduled}}, nil
		})
	e, err := f.svc.Enqueue(f.ctx, job.NewJob{Type: "report", Delay: 30 * time.Second})
	if err != nil || e.State != job.StateScheduled || e.Queue != "main" {
		t.Fatalf("Enqueue = %+v, %v", e, err)
	}
}

func TestEnqueueKeepsExplicitValues(t *testing.T) {
	f := newFixture(t)
	zero := 0
	f.queue.EXPECT().Enqueue(gomock.Any(), "low", gomock.Any()).DoAndReturn(
		func(_ context.Context, q string, specs []job.Spec) ([]job.Enqueued, error) {
			sp := specs[0]
			if sp.MaxRetries != 0 || sp.Timeout != 5*time.Second || sp.Priority != 9 || sp.UniqueKey != "u1" ||
				sp.UniqueTTL != job.DefaultUniqueTTL || string(sp.Payload) != `{"to":"a@b.c"}` {
				t.Errorf("spec = %+v", sp)
			}
			return []job.Enqueued{{ID: sp.ID, Queue: q, State: job.StatePending}}, nil
		})
	_, err := f.svc.Enqueue(f.ctx, job.NewJob{Type: "mail.send", Queue: "low", Payload: []byte(`{"to":"a@b.c"}`),
		MaxRetries: &zero, Timeout: 5 * time.Second, Priority: 9, UniqueKey: "u1"})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEnqueueRefusesBadInput: every kind of bad input is a typed error and reaches no store (the mock has
// no expectations, so any store call fails the test).
func TestEnqueueRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	many, minus := 101, -1
	tests := []struct {
		name string
		in   job.NewJob
		want error
	}{
		{"unknown type", job.NewJob{Type: "nope"}, job.ErrUnknownType},
		{"empty type", job.NewJob{}, job.ErrInvalid},
		{"type with colon", job.NewJob{Type: "a:b"}, job.ErrInvalid},
		{"payload not JSON", job.NewJob{Type: "report", Payload: []byte(`{"a":`)}, job.ErrInvalidPayload},
		{"payload refused by the type", job.NewJob{Type: "mail.send", Payload: []byte(`{"cc":"x"}`)}, job.ErrInvalidPayload},
		{"payload too large", job.NewJob{Type: "report", Payload: []byte(`"` + strings.Repeat("x", job.MaxPayloadBytes) + `"`)}, job.ErrInvalidPayload},
		{"negative delay", job.NewJob{Type: "report", Delay: -time.Second}, job.ErrInvalid},
		{"delay too long", job.NewJob{Type: "report", Delay: job.MaxDelay + time.Second}, job.ErrInvalid},
		{"delay and run-at", job.NewJob{Type: "report", Delay: time.Second, RunAt: time.Now().Add(time.Hour)}, job.ErrInvalid},
		{"run-at absurd", job.NewJob{Type: "report", RunAt: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}, job.ErrInvalid},
		{"absurd retries", job.NewJob{Type: "report", MaxRetries: &many}, job.ErrInvalid},
		{"negative retries", job.NewJob{Type: "report", MaxRetries: &minus}, job.ErrInvalid},
		{"priority 10", job.NewJob{Type: "report", Priority: 10}, job.ErrInvalid},
		{"negative priority", job.NewJob{Type: "report", Priority: -1}, job.ErrInvalid},
		{"timeout too short", job.NewJob{Type: "report", Timeout: time.Millisecond}, job.ErrInvalid},
		{"timeout too long", job.NewJob{Type: "report", Timeout: 25 * time.Hour}, job.ErrInvalid},
		{"queue with brace", job.NewJob{Type: "report", Queue: "{q}"}, job.ErrInvalid},
		{"queue with star", job.NewJob{Type: "report", Queue: "q*"}, job.ErrInvalid},
		{"unique key with colon", job.NewJob{Type: "report", UniqueKey: "a:b"}, job.ErrInvalid},
		{"unique ttl without key", job.NewJob{Type: "report", UniqueTTL: time.Hour}, job.ErrInvalid},
		{"unique ttl too long", job.NewJob{Type: "report", UniqueKey: "k", UniqueTTL: 31 * 24 * time.Hour}, job.ErrInvalid},
	}
	for _, tt := range tests {
		_, err := f.svc.Enqueue(f.ctx, tt.in)
		if !errors.Is(err, tt.want) || !errors.Is(err, job.ErrInvalid) {
			t.Errorf("%s: Enqueue = %v, want %v (an ErrInvalid)", tt.name, err, tt.want)
		}
	}
}

func TestEnqueueDuplicateIsTyped(t *testing.T) {
	f := newFixture(t)
	dup := &job.DuplicateError{UniqueKey: "k", ExistingID: "AAAAAAAAAAAAAAAA"}
	f.queue.EXPECT().Enqueue(gomock.Any(), "main", gomock.Any()).Return([]job.Enqueued{{Queue: "main", Err: dup}}, nil)
	_, err := f.svc.Enqueue(f.ctx, job.NewJob{Type: "report", UniqueKey: "k"})
	var de *job.DuplicateError
	if !errors.As(err, &de) || de.ExistingID != "AAAAAAAAAAAAAAAA" || !errors.Is(err, job.ErrDuplicate) {
		t.Errorf("Enqueue = %v, want the DuplicateError", err)
	}
	f.queue.EXPECT().Enqueue(gomock.Any(), "main", gomock.Any()).Return(nil, errStore)
	if _, err := f.svc.Enqueue(f.ctx, job.NewJob{Type: "report"}); !errors.Is(err, errStore) {
		t.Errorf("Enqueue with the store down = %v", err)
	}
}

func TestEnqueueBatch(t *testing.T) {
	f := newFixture(t)
	in := []job.NewJob{{Type: "report", Queue: "a"}, {Type: "report", Queue: "b"}, {Type: "report", Queue: "a"}}
	gomock.InOrder(
		f.queue.EXPECT().Enqueue(gomock.Any(), "a", gomock.Len(2)).DoAndReturn(
			func(_ context.Context, q string, specs []job.Spec) ([]job.Enqueued, error) {
				return []job.Enqueued{{ID: specs[0].ID, Queue: q}, {Queue: q, Err: &job.DuplicateError{}}}, nil
			}),
		f.queue.EXPECT().Enqueue(gomock.Any(), "b", gomock.Len(1)).DoAndReturn(
			func(_ context.Context, q string, specs []job.Spec) ([]job.Enqueued, error) {
				return []job.Enqueued{{ID: specs[0].ID, Queue: q}}, nil
			}),
	)
	res, err := f.svc.EnqueueBatch(f.ctx, in)
	if err != nil || len(res) != 3 {
		t.Fatalf("EnqueueBatch = %+v, %v", res, err)
	}
	if res[0].Queue != "a" || res[0].Err != nil || res[1].Queue != "b" || res[1].Err != nil || !errors.Is(res[2].Err, job.ErrDuplicate) {
		t.Errorf("results out of order: %+v", res)
	}
}

// TestEnqueueBatchAllOrNothingValidation: one bad job refuses the batch before any store call.
func TestEnqueueBatchAllOrNothingValidation(t *testing.T) {
	f := newFixture(t)
	for name, in := range map[string][]job.NewJob{
		"empty":            nil,
		"too many":         make([]job.NewJob, job.MaxBatch+1),
		"one unknown type": {{Type: "report"}, {Type: "nope"}},
		"one bad delay":    {{Type: "report"}, {Type: "report", Delay: -1}},
		"unique key twice": {{Type: "report", UniqueKey: "k"}, {Type: "report", UniqueKey: "k"}},
	} {
		if _, err := f.svc.EnqueueBatch(f.ctx, in); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("%s: EnqueueBatch = %v, want ErrInvalid", name, err)
		}
	}
	_, err := f.svc.EnqueueBatch(f.ctx, []job.NewJob{{Type: "report"}, {Type: "nope"}})
	if err == nil || !strings.Contains(err.Error(), "job 1") {
		t.Errorf("error %v does not name the job's index", err)
	}
}

func TestAdminValidatesBeforeTheStore(t *testing.T) {
	f := newFixture(t)
	calls := map[string]func() error{
		"Get bad id":        func() error { _, err := f.svc.Get(f.ctx, "main", "short"); return err },
		"Get bad queue":     func() error { _, err := f.svc.Get(f.ctx, "a:b", "AAAAAAAAAAAAAAAA"); return err },
		"Retry bad id":      func() error { return f.svc.Retry(f.ctx, "main", "{AAAAAAAAAAAAAA}") },
		"Delete bad id":     func() error { return f.svc.Delete(f.ctx, "main", "AAAAAAAAAAAAAAA*") },
		"Pause bad queue":   func() error { return f.svc.Pause(f.ctx, "") },
		"Resume bad queue":  func() error { return f.svc.Resume(f.ctx, "q q") },
		"Purge bad queue":   func() error { _, err := f.svc.PurgeDead(f.ctx, "*"); return err },
		"Stats bad queue":   func() error { _, err := f.svc.Stats(f.ctx, "x}"); return err },
		"List bad state":    func() error { _, err := f.svc.List(f.ctx, "main", "lost", 0, 10); return err },
		"List bad limit":    func() error { _, err := f.svc.List(f.ctx, "main", job.StateDead, 0, 0); return err },
		"List huge limit":   func() error { _, err := f.svc.List(f.ctx, "main", job.StateDead, 0, 1001); return err },
		"List minus offset": func() error { _, err := f.svc.List(f.ctx, "main", job.StateDead, -1, 10); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestAdminPassesThrough(t *testing.T) {
	f := newFixture(t)
	const id = "AAAAAAAAAAAAAAAA"
	f.queue.EXPECT().Get(gomock.Any(), "main", id).Return(job.Job{ID: id}, nil)
	f.queue.EXPECT().RunNow(gomock.Any(), "main", id).Return(job.ErrState)
	f.queue.EXPECT().Delete(gomock.Any(), "main", id).Return(job.ErrNotFound)
	f.queue.EXPECT().SetPaused(gomock.Any(), "main", true).Return(nil)
	f.queue.EXPECT().SetPaused(gomock.Any(), "main", false).Return(nil)
	f.queue.EXPECT().PurgeDead(gomock.Any(), "main").Return(int64(4), nil)
	f.queue.EXPECT().Queues(gomock.Any()).Return([]string{"a", "main"}, nil)
	f.queue.EXPECT().Stats(gomock.Any(), "a").Return(job.QueueStats{Queue: "a", Pending: 1}, nil)
	f.queue.EXPECT().Stats(gomock.Any(), "main").Return(job.QueueStats{Queue: "main", Dead: 2}, nil)
	f.queue.EXPECT().List(gomock.Any(), "main", job.StateDead, 10, 10).Return([]job.Job{{ID: id}}, int64(20), nil)
	f.queue.EXPECT().List(gomock.Any(), "main", job.StateDead, 0, 10).Return([]job.Job{{ID: id}}, int64(25), nil)

	if j, err := f.svc.Get(f.ctx, "main", id); err != nil || j.ID != id {
		t.Errorf("Get = %+v, %v", j, err)
	}
	if err := f.svc.Retry(f.ctx, "main", id); !errors.Is(err, job.ErrState) {
		t.Errorf("Retry = %v", err)
	}
	if err := f.svc.Delete(f.ctx, "main", id); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Delete = %v", err)
	}
	if f.svc.Pause(f.ctx, "main") != nil || f.svc.Resume(f.ctx, "main") != nil {
		t.Error("Pause/Resume failed")
	}
	if n, err := f.svc.PurgeDead(f.ctx, "main"); n != 4 || err != nil {
		t.Errorf("PurgeDead = %d, %v", n, err)
	}
	if qs, err := f.svc.Queues(f.ctx); err != nil || len(qs) != 2 || qs[0].Pending != 1 || qs[1].Dead != 2 {
		t.Errorf("Queues = %+v, %v", qs, err)
	}
	if p, err := f.svc.List(f.ctx, "main", job.StateDead, 10, 10); err != nil || p.Next != -1 || p.Total != 20 {
		t.Errorf("last page = %+v, %v; want no next", p, err)
	}
	if p, err := f.svc.List(f.ctx, "main", job.StateDead, 0, 10); err != nil || p.Next != 10 {
		t.Errorf("first page = %+v, %v; want next 10", p, err)
	}
}

func TestNewServiceRefusesBadHandlers(t *testing.T) {
	q := mocks.NewMockJobQueue(gomock.NewController(t))
	for name, hs := range map[string][]ports.JobHandler{
		"duplicate type": {{Type: "a", Handle: nop}, {Type: "a", Handle: nop}},
		"no function":    {{Type: "a"}},
		"bad type":       {{Type: "a:b", Handle: nop}},
	} {
		if _, err := jobapp.NewService(q, hs, jobapp.DefaultConfig()); err == nil {
			t.Errorf("%s: NewService accepted it", name)
		}
	}
	svc, err := jobapp.NewService(q, []ports.JobHandler{{Type: "b", Handle: nop}, jobapp.EchoHandler()}, jobapp.DefaultConfig())
	if err != nil || fmt.Sprint(svc.Types()) != "[b statekit.echo]" {
		t.Errorf("Types = %v, %v", svc.Types(), err)
	}
}
