package jobs

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

// The crash test's child process is this test binary run again with these variables: it runs a worker
// runtime on the given Redis and prefix until it is killed.
const (
	childEnv       = "STATEKIT_JOBS_CRASH_CHILD"
	childRedisEnv  = "STATEKIT_JOBS_CRASH_REDIS"
	childPrefixEnv = "STATEKIT_JOBS_CRASH_PREFIX"
	crashType      = "crash.work"
	crashLease     = time.Second
)

// crashHandler records each start and each finish of a job in Redis (HINCRBY on two hashes), around 20 ms of
// work, so the parent can count runs across processes.
func crashHandler(c redis.UniversalClient, prefix string) ports.JobHandler {
	return ports.JobHandler{Type: crashType, Handle: func(ctx context.Context, j job.Job) ([]byte, error) {
		if err := c.HIncrBy(ctx, prefix+":test:starts", j.ID, 1).Err(); err != nil {
			return nil, err
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return nil, c.HIncrBy(ctx, prefix+":test:finishes", j.ID, 1).Err()
	}}
}

func crashConfig() jobapp.Config {
	cfg := testConfig(8)
	cfg.Lease = crashLease
	return cfg
}

// crashChild is the child process: a worker runtime that runs until SIGKILL.
func crashChild() int {
	c := redis.NewClient(&redis.Options{Addr: os.Getenv(childRedisEnv)})
	prefix := os.Getenv(childPrefixEnv)
	store := jobredis.New(c, prefix, nil)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt, err := jobapp.NewRuntime(crashConfig(), store, store, &testapp.Recorder{}, nil, jobcron.New(), log,
		[]ports.JobHandler{crashHandler(c, prefix)}, nil)
	if err == nil {
		err = rt.Start(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 1
	}
	select {} // until killed
}

// TestWorkerKilledMidJob: two worker processes, each killed with SIGKILL while running jobs, lose nothing: the
// jobs they held return when their leases expire and run again; every job completes; no job ran more often
// than its recorded attempts; and the jobs in flight at a kill ran more than once.
func TestWorkerKilledMidJob(t *testing.T) {
	t.Parallel()
	const jobs = 300
	tg := harness.Standalone(t)
	ctx := context.Background()
	store := jobredis.New(tg.Client, tg.Prefix, nil)
	handler := crashHandler(tg.Client, tg.Prefix)
	svc := newService(t, store, []ports.JobHandler{handler})
	batch := make([]job.NewJob, jobs)
	for i := range batch {
		batch[i] = job.NewJob{Type: crashType, Payload: fmt.Appendf(nil, `{"i":%d}`, i)}
	}
	if _, err := svc.EnqueueBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	finished := func() int64 {
		n, err := tg.Client.HLen(ctx, tg.Prefix+":test:finishes").Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, until := range []int64{60, 150} {
		child, out := startChild(t, tg)
		waitFor(t, fmt.Sprintf("child %d to finish %d jobs", i+1, until), 30*time.Second, func() bool { return finished() >= until })
		s, err := svc.Stats(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		if s.Active == 0 {
			t.Fatalf("child %d held no job when killed: %+v", i+1, s)
		}
		if err := child.Process.Kill(); err != nil { // SIGKILL: no shutdown code runs
			t.Fatal(err)
		}
		_ = child.Wait()
		t.Logf("killed child %d holding %d jobs (%d finished so far)\n%s", i+1, s.Active, finished(), out.String())
	}

	// A worker in this process finishes the rest, including the jobs the children held once their leases expire.
	in := newInstance(t, tg, crashConfig(), []ports.JobHandler{handler})
	in.start(t)
	waitFor(t, "every job to complete", 60*time.Second, func() bool {
		s, err := svc.Stats(ctx, "default")
		return err == nil && s.Completed == jobs
	})
	s, _ := svc.Stats(ctx, "default")
	if s.Pending != 0 || s.Active != 0 || s.Retry != 0 || s.Dead != 0 || s.Processed != jobs {
		t.Errorf("stats = %+v, want %d completed and nothing else", s, jobs)
	}
	if s.Failed < 1 {
		t.Errorf("stats = %+v: no lost lease was recorded as a failed attempt", s)
	}
	starts := counts(t, tg, "starts")
	finishes := counts(t, tg, "finishes")
	page, err := svc.List(ctx, "default", job.StateCompleted, 0, jobs)
	if err != nil || len(page.Jobs) != jobs {
		t.Fatalf("completed jobs: %d, %v", len(page.Jobs), err)
	}
	rerun, totalStarts := 0, 0
	for _, j := range page.Jobs {
		st, fin := starts[j.ID], finishes[j.ID]
		totalStarts += st
		if st < 1 || fin < 1 {
			t.Errorf("job %s completed with %d starts and %d finishes recorded", j.ID, st, fin)
		}
		if st > j.Attempts {
			t.Errorf("job %s started %d times but %d attempts are recorded", j.ID, st, j.Attempts)
		}
		if st > 1 {
			rerun++
		}
	}
	if rerun == 0 {
		t.Error("no job ran twice: the jobs in flight at the kills were lost or never re-run")
	}
	t.Logf("%d jobs, %d starts, %d jobs re-run after a kill, %d failed attempts recorded", jobs, totalStarts, rerun, s.Failed)
}

// startChild runs this test binary as a crash child on tg's Redis and prefix.
func startChild(t *testing.T, tg harness.Target) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childRedisEnv+"="+tg.Addrs[0], childPrefixEnv+"="+tg.Prefix)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, out
}

func counts(t *testing.T, tg harness.Target, name string) map[string]int {
	t.Helper()
	m, err := tg.Client.HGetAll(context.Background(), tg.Prefix+":test:"+name).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
