package jobapp_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
)

func TestParseQueues(t *testing.T) {
	got, err := jobapp.ParseQueues(" critical=6, default=3 ,low,")
	want := []jobapp.QueueWeight{{Name: "critical", Weight: 6}, {Name: "default", Weight: 3}, {Name: "low", Weight: 1}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseQueues = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", " , ", "a=x", "a=1.5"} {
		if _, err := jobapp.ParseQueues(bad); err == nil {
			t.Errorf("ParseQueues(%q) accepted", bad)
		}
	}
}

func TestParsePeriodic(t *testing.T) {
	got, err := jobapp.ParsePeriodic(`[{"name":"n1","cron":"@hourly","type":"report","payload":{"k":1},"timeout":"2m","max_retries":1,"priority":3,"queue":"low"}]`)
	if err != nil || len(got) != 1 {
		t.Fatalf("ParsePeriodic = %+v, %v", got, err)
	}
	p := got[0]
	if p.Name != "n1" || p.Cron != "@hourly" || p.Job.Type != "report" || string(p.Job.Payload) != `{"k":1}` ||
		p.Job.Timeout != 2*time.Minute || *p.Job.MaxRetries != 1 || p.Job.Priority != 3 || p.Job.Queue != "low" {
		t.Errorf("periodic = %+v", p)
	}
	if got, err := jobapp.ParsePeriodic("  "); err != nil || got != nil {
		t.Errorf("ParsePeriodic(blank) = %v, %v", got, err)
	}
	for _, bad := range []string{`{}`, `[{"name":"a","cron":"x","extra":1}]`, `[{"name":"a","timeout":"soon"}]`, `[`} {
		if _, err := jobapp.ParsePeriodic(bad); err == nil {
			t.Errorf("ParsePeriodic(%s) accepted", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := jobapp.DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for name, mod := range map[string]func(*jobapp.Config){
		"no concurrency":      func(c *jobapp.Config) { c.Concurrency = 0 },
		"no queues":           func(c *jobapp.Config) { c.Queues = nil },
		"queue twice":         func(c *jobapp.Config) { c.Queues = append(c.Queues, c.Queues[0]) },
		"bad queue name":      func(c *jobapp.Config) { c.Queues = []jobapp.QueueWeight{{Name: "a:b", Weight: 1}} },
		"zero weight":         func(c *jobapp.Config) { c.Queues[0].Weight = 0 },
		"tiny lease":          func(c *jobapp.Config) { c.Lease = time.Millisecond },
		"negative grace":      func(c *jobapp.Config) { c.ShutdownGrace = -time.Second },
		"bad defaults":        func(c *jobapp.Config) { c.Defaults.Timeout = 0 },
		"bad backoff":         func(c *jobapp.Config) { c.Backoff.Jitter = 2 },
		"bad retention":       func(c *jobapp.Config) { c.Retention.DeadMax = -1 },
		"periodic name twice": func(c *jobapp.Config) { c.Periodic = []job.Periodic{{Name: "p"}, {Name: "p"}} },
	} {
		c := jobapp.DefaultConfig()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

func TestEcho(t *testing.T) {
	h := jobapp.EchoHandler()
	ctx := context.Background()
	if out, err := h.Handle(ctx, job.Job{Payload: []byte(`{"x":1}`)}); err != nil || string(out) != `{"x":1}` {
		t.Errorf("echo = %s, %v", out, err)
	}
	if out, err := h.Handle(ctx, job.Job{}); err != nil || out != nil {
		t.Errorf("echo of nothing = %s, %v", out, err)
	}
	if _, err := h.Handle(ctx, job.Job{Payload: []byte(`{"fail":"boom"}`)}); err == nil || err.Error() != "boom" || errors.Is(err, job.ErrNoRetry) {
		t.Errorf("echo fail = %v", err)
	}
	if _, err := h.Handle(ctx, job.Job{Payload: []byte(`{"fail":"bad","permanent":true}`)}); !errors.Is(err, job.ErrNoRetry) {
		t.Errorf("echo permanent fail = %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := h.Handle(short, job.Job{Payload: []byte(`{"sleep":"1h"}`)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("echo sleeping past its deadline = %v", err)
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"sleep":"soon"}`, `{"sleep":"2h"}`, `{"fail":3}`} {
		if err := h.Validate([]byte(bad)); err == nil {
			t.Errorf("Validate(%s) accepted", bad)
		}
	}
	if err := h.Validate(nil); err != nil || h.Validate([]byte(`{"sleep":"1s","other":true}`)) != nil {
		t.Errorf("Validate refused a good payload: %v", err)
	}
	if !strings.HasPrefix(jobapp.EchoType, "statekit.") {
		t.Error("echo type outside the statekit namespace")
	}
}
