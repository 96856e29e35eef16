package lockproof

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/tests/harness"
)

// TestRenewalKeepsTheLock: a lock with a 1 s lease is held for ten leases while it renews itself; a
// contender trying all along never gets it, and the holder's context stays alive. When the holder's context
// ends, renewal stops and the lock is released: the contender gets it.
func TestRenewalKeepsTheLock(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := lockService(t, tg)
		const ttl = time.Second // short leases lose to the multi-hundred-ms stalls of a loaded 2-core machine
		holderCtx, stopHolder := context.WithCancel(ctx)
		defer stopHolder()
		l, err := svc.Acquire(holderCtx, "renewed", lockapp.WithTTL(ttl))
		if err != nil {
			t.Fatal(err)
		}
		tries := 0
		for end := time.Now().Add(10 * ttl); time.Now().Before(end); tries++ {
			if c, err := svc.TryAcquire(ctx, "renewed", lockapp.WithTTL(ttl)); !errors.Is(err, lock.ErrNotAcquired) {
				if c != nil {
					_ = c.Release(ctx)
				}
				t.Fatalf("contender after %d tries: %v, want ErrNotAcquired: the renewed lock was lost", tries, err)
			}
			if err := l.Err(); err != nil {
				t.Fatalf("holder lost its lock: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if st, err := svc.Inspect(ctx, "renewed"); err != nil || !st.Held || st.Fence != l.Fence() {
			t.Fatalf("after ten leases: %+v, %v; want held with the holder's fence", st, err)
		}

		stopHolder() // the holder's work is over: renewal stops, the lock is released
		<-l.Context().Done()
		c, err := svc.Acquire(ctx, "renewed", lockapp.WithTTL(ttl))
		if err != nil {
			t.Fatalf("contender after the holder stopped: %v", err)
		}
		_ = c.Release(ctx)
		if err := l.Release(ctx); err != nil {
			t.Errorf("releasing again after the context ended: %v, want nil", err)
		}
	})
}

// TestRenewalStopsWithItsProcess: a child process takes a lock with a 1 s lease and renews it; while it
// lives, nobody else gets the lock. The child is killed (no release): renewal stops with it, and the lock
// becomes free when the lease runs out.
func TestRenewalStopsWithItsProcess(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := lockService(t, tg)
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), envRole+"=hold", envAddrs+"="+strings.Join(tg.Addrs, ","),
			envCluster+"="+strconv.FormatBool(tg.Cluster), envPrefix+"="+tg.Prefix)
		stdout, err := child.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		child.Stderr = os.Stderr
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "held ") {
			t.Fatalf("child: %q, %v", line, err)
		}
		fence, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "held ")), 10, 64)

		// Three leases long, the child's renewals keep everyone else out.
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
			if _, err := svc.TryAcquire(ctx, "held-by-child"); !errors.Is(err, lock.ErrNotAcquired) {
				t.Fatalf("lock taken from the renewing child: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if st, err := svc.Inspect(ctx, "held-by-child"); err != nil || !st.Held || st.Fence != fence {
			t.Fatalf("before the kill: %+v, %v", st, err)
		}
		if err := child.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = child.Wait()
		l, err := svc.Acquire(ctx, "held-by-child", lockapp.WithTTL(time.Second))
		if err != nil {
			t.Fatalf("lock of the killed child never freed: %v", err)
		}
		if l.Fence() <= fence {
			t.Errorf("fence after the child %d, want > %d", l.Fence(), fence)
		}
		_ = l.Release(ctx)
	})
}
