package job_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/job"
)

func TestNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"a", true}, {"mail.send", true}, {"Report_v2-final", true}, {"9lives", true},
		{strings.Repeat("q", job.MaxQueueLen), true},
		{"", false}, {".hidden", false}, {"-x", false}, {"a:b", false}, {"{q}", false}, {"q}", false}, {"q*", false},
		{"with space", false}, {"tab\t", false}, {"new\nline", false}, {"ünï", false}, {"a/b", false},
		{strings.Repeat("q", job.MaxQueueLen+1), false},
	}
	for _, tt := range tests {
		if err := job.ValidateQueue(tt.in); (err == nil) != tt.ok || err != nil && !errors.Is(err, job.ErrInvalid) {
			t.Errorf("ValidateQueue(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if err := job.ValidateType(tt.in); len(tt.in) <= job.MaxQueueLen && (err == nil) != tt.ok {
			t.Errorf("ValidateType(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	if job.ValidateType(strings.Repeat("t", job.MaxTypeLen)) != nil || job.ValidateType(strings.Repeat("t", job.MaxTypeLen+1)) == nil {
		t.Error("type length limit")
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id, err := job.NewID()
		if err != nil {
			t.Fatal(err)
		}
		if err := job.ValidateID(id); err != nil || seen[id] {
			t.Fatalf("NewID() = %q (%v), seen before %v", id, err, seen[id])
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "short", "AAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAA:", "{AAAAAAAAAAAAAA}", "AAAAAAAAAAAAAAA*", "AAAAAAAAAAAAAAA="} {
		if err := job.ValidateID(bad); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("ValidateID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestPayload(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", `{}`, `[1,2]`, `"s"`, `3`, `null`, `{"a":{"b":[true]}}`} {
		if err := job.ValidatePayload([]byte(ok)); err != nil {
			t.Errorf("ValidatePayload(%s) = %v", ok, err)
		}
	}
	for _, bad := range []string{`{`, `{"a":}`, `nope`, `{} {}`, "\xff"} {
		if err := job.ValidatePayload([]byte(bad)); !errors.Is(err, job.ErrInvalidPayload) || !errors.Is(err, job.ErrInvalid) {
			t.Errorf("ValidatePayload(%q) = %v, want ErrInvalidPayload", bad, err)
		}
	}
	big := []byte(`"` + strings.Repeat("x", job.MaxPayloadBytes-2) + `"`)
	if job.ValidatePayload(big) != nil || job.ValidatePayload(append(big, ' ')) == nil {
		t.Error("payload size limit")
	}
}

func TestSpecDefaults(t *testing.T) {
	t.Parallel()
	d := job.Defaults{Queue: "q", MaxRetries: 4, Timeout: time.Minute}
	sp, err := job.NewJob{Type: "t"}.Spec(d)
	if err != nil || sp.Queue != "q" || sp.MaxRetries != 4 || sp.Timeout != time.Minute || job.ValidateID(sp.ID) != nil || sp.UniqueTTL != 0 {
		t.Errorf("Spec = %+v, %v", sp, err)
	}
	zero := 0
	sp, err = job.NewJob{Type: "t", Queue: "other", MaxRetries: &zero, Timeout: time.Second, UniqueKey: "k"}.Spec(d)
	if err != nil || sp.Queue != "other" || sp.MaxRetries != 0 || sp.Timeout != time.Second || sp.UniqueTTL != job.DefaultUniqueTTL {
		t.Errorf("Spec = %+v, %v", sp, err)
	}
	if err := job.DefaultDefaults().Validate(); err != nil {
		t.Errorf("DefaultDefaults: %v", err)
	}
	if err := (job.Defaults{Queue: "a:b", MaxRetries: -1, Timeout: 0}).Validate(); err == nil || len(strings.Split(err.Error(), "\n")) != 3 {
		t.Errorf("bad defaults: %v, want 3 problems", err)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := job.Backoff{Base: time.Second, Max: time.Minute, Jitter: 0}
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		6: 32 * time.Second, 7: time.Minute, 100: time.Minute, math.MaxInt: time.Minute} {
		if got := b.Delay(attempt, 0.7); got != want {
			t.Errorf("Delay(%d) = %s, want %s", attempt, got, want)
		}
	}
	b.Jitter = 0.5
	if lo, hi := b.Delay(3, 0), b.Delay(3, 0.999999); lo != 2*time.Second || hi <= 3990*time.Millisecond || hi > 4*time.Second {
		t.Errorf("equal jitter on 4s: [%s, %s], want [2s, 4s)", lo, hi)
	}
	b.Jitter = 1
	if got := b.Delay(1, 0); got != 0 {
		t.Errorf("full jitter at r=0 = %s", got)
	}
	if got := b.Delay(1, 5); got >= time.Second {
		t.Errorf("r out of range not clamped: %s", got)
	}
	if err := job.DefaultBackoff().Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range []job.Backoff{{Base: 0, Max: time.Second}, {Base: time.Hour, Max: time.Second}, {Base: time.Second, Max: time.Hour, Jitter: -0.1},
		{Base: time.Second, Max: time.Hour, Jitter: math.NaN()}, {Base: time.Second, Max: 1000 * time.Hour}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	r := job.DefaultRetention()
	if r.Validate() != nil || !r.KeepsCompleted() || !r.KeepsDead() {
		t.Errorf("default retention %+v", r)
	}
	if (job.Retention{Completed: time.Hour}).KeepsCompleted() || (job.Retention{DeadMax: 3}).KeepsDead() {
		t.Error("a zero duration or count keeps nothing")
	}
	if (job.Retention{Completed: -1}).Validate() == nil || (job.Retention{DeadMax: -1}).Validate() == nil ||
		(job.Retention{Dead: 400 * 24 * time.Hour}).Validate() == nil {
		t.Error("bad retention accepted")
	}
}

func TestEvery(t *testing.T) {
	t.Parallel()
	e := job.Every(250 * time.Millisecond)
	at := time.Date(2030, 1, 1, 0, 0, 0, 100_000_000, time.UTC)
	if got := e.Next(at); !got.Equal(at.Add(150 * time.Millisecond)) {
		t.Errorf("Next = %s", got)
	}
	if got := e.Next(e.Next(at)); !got.Equal(at.Add(400 * time.Millisecond)) {
		t.Errorf("Next of a tick = %s, want the following tick", got)
	}
	if !job.Every(0).Next(at).IsZero() {
		t.Error("Every(0) ticks")
	}
}

func TestParseStateAndCount(t *testing.T) {
	t.Parallel()
	s := job.QueueStats{Pending: 1, Scheduled: 2, Active: 3, Retry: 4, Dead: 5, Completed: 6}
	for i, st := range job.States {
		got, err := job.ParseState(string(st))
		if err != nil || got != st || s.Count(st) != int64(i+1) {
			t.Errorf("state %s: %v %v %d", st, got, err, s.Count(st))
		}
	}
	if _, err := job.ParseState("archived"); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("ParseState(archived) = %v", err)
	}
	if s.Count("x") != 0 {
		t.Error("Count of an unknown state")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	if !errors.Is(job.ErrUnknownType, job.ErrInvalid) || !errors.Is(job.ErrInvalidPayload, job.ErrInvalid) {
		t.Error("ErrUnknownType and ErrInvalidPayload must be ErrInvalid")
	}
	de := &job.DuplicateError{UniqueKey: "k", ExistingID: "id1"}
	var err error = fmt.Errorf("enqueue: %w", de)
	var got *job.DuplicateError
	if !errors.Is(err, job.ErrDuplicate) || !errors.As(err, &got) || got.ExistingID != "id1" || !strings.Contains(err.Error(), "id1") {
		t.Errorf("DuplicateError = %v", err)
	}
	base := errors.New("root")
	nr := job.NoRetry(base)
	if !errors.Is(nr, job.ErrNoRetry) || !errors.Is(nr, base) || job.NoRetry(nil) != nil {
		t.Errorf("NoRetry = %v", nr)
	}
	long := strings.Repeat("é", job.MaxErrorBytes)
	cut := job.TruncateError(long)
	if len(cut) > job.MaxErrorBytes || !strings.HasSuffix(cut, "…") || !strings.HasPrefix(cut, "é") || strings.ContainsRune(cut, '\uFFFD') {
		t.Errorf("TruncateError: %d bytes", len(cut))
	}
	if job.TruncateError("short") != "short" {
		t.Error("TruncateError changed a short message")
	}
}

func TestEventNames(t *testing.T) {
	t.Parallel()
	for _, e := range []struct {
		name    string
		version int
		want    string
	}{
		{job.Completed{}.EventName(), job.Completed{}.EventVersion(), "jobs.completed"},
		{job.Failed{}.EventName(), job.Failed{}.EventVersion(), "jobs.failed"},
		{job.DeadLettered{}.EventName(), job.DeadLettered{}.EventVersion(), "jobs.dead_lettered"},
	} {
		if e.name != e.want || e.version != 1 {
			t.Errorf("event %q v%d, want %q v1", e.name, e.version, e.want)
		}
	}
}

func TestPeriodicValidate(t *testing.T) {
	t.Parallel()
	d := job.DefaultDefaults()
	ok := job.Periodic{Name: "nightly", Cron: "@daily", Job: job.NewJob{Type: "report"}}
	if err := ok.Validate(d); err != nil {
		t.Errorf("Validate = %v", err)
	}
	for name, mod := range map[string]func(*job.Periodic){
		"no name":    func(p *job.Periodic) { p.Name = "" },
		"bad name":   func(p *job.Periodic) { p.Name = "a:b" },
		"no cron":    func(p *job.Periodic) { p.Cron = "" },
		"unique key": func(p *job.Periodic) { p.Job.UniqueKey = "k" },
		"delay":      func(p *job.Periodic) { p.Job.Delay = time.Second },
		"bad job":    func(p *job.Periodic) { p.Job.Type = "" },
	} {
		p := ok
		mod(&p)
		if err := p.Validate(d); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", name, err)
		}
	}
}

// FuzzNewJobValidate: whatever a caller sends, Validate answers nil or an ErrInvalid, never panics; and what
// it accepts has names safe inside a Redis key.
func FuzzNewJobValidate(f *testing.F) {
	f.Add("mail.send", "default", `{"to":"a"}`, 3, int64(0), 5, int64(0), "")
	f.Add("a:b", "{q}", `{`, -1, int64(-1), 1000, int64(1), "k*")
	f.Add("", "", "", 10, int64(time.Hour), -1, int64(time.Millisecond), "order-1")
	f.Fuzz(func(t *testing.T, typ, queue, payload string, prio int, delay int64, retries int, timeout int64, unique string) {
		n := job.NewJob{Type: typ, Queue: queue, Payload: []byte(payload), Priority: prio, Delay: time.Duration(delay),
			MaxRetries: &retries, Timeout: time.Duration(timeout), UniqueKey: unique}
		err := n.Validate(job.DefaultDefaults())
		if err != nil {
			if !errors.Is(err, job.ErrInvalid) {
				t.Fatalf("Validate = %v, not an ErrInvalid", err)
			}
			return
		}
		for _, s := range []string{typ, queue, unique} {
			if strings.ContainsAny(s, ":{}* \n") {
				t.Fatalf("accepted %q", s)
			}
		}
		if _, err := n.Spec(job.DefaultDefaults()); err != nil {
			t.Fatalf("Spec after Validate: %v", err)
		}
	})
}
