package lockproof

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/tests/harness"
)

const (
	totalIncrements = 10_000
	perProcess      = 16 // goroutines in each of the two processes
)

// TestMutualExclusionTwoProcesses: 32 goroutines, 16 in this process and 16 in a child process (this test
// binary re-executed), increment one Redis value by GET then SET — a read-modify-write that loses updates
// unless the lock excludes every other holder — 10,000 times in all, under one blocking lock. The result is
// exact. Each holder also checks that the fence of the previous writer (stored beside the count) is older
// than its own, across both processes.
func TestMutualExclusionTwoProcesses(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		// 10,000 hand-overs in a row: on a loaded 2-core machine this can take a while (a bound on a hang,
		// not a timing assertion).
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
		defer cancel()
		svc := lockService(t, tg)
		key := tg.Prefix + ":proof:counter"

		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), envRole+"=mutex", envAddrs+"="+strings.Join(tg.Addrs, ","),
			envCluster+"="+strconv.FormatBool(tg.Cluster), envPrefix+"="+tg.Prefix,
			envCount+"="+strconv.Itoa(totalIncrements/2))
		var out strings.Builder
		child.Stdout, child.Stderr = &out, &out
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		err := increment(ctx, svc, tg.Client, key, totalIncrements/2)
		if werr := child.Wait(); werr != nil {
			t.Fatalf("child process: %v\n%s", werr, out.String())
		}
		if err != nil {
			t.Fatal(err)
		}
		count, _, err := readCounter(ctx, tg.Client, key)
		if err != nil {
			t.Fatal(err)
		}
		if count != totalIncrements {
			t.Fatalf("counter = %d after %d locked increments by 2 processes, want exactly %d", count, totalIncrements, totalIncrements)
		}
	})
}

// increment runs n locked read-modify-write increments of key from perProcess goroutines.
func increment(ctx context.Context, svc *lockapp.Service, c redis.UniversalClient, key string, n int) error {
	var (
		inside atomic.Int32
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for g := 0; g < perProcess; g++ {
		share := n / perProcess
		if g < n%perProcess {
			share++
		}
		wg.Go(func() {
			for i := 0; i < share; i++ {
				if err := incrementOnce(ctx, svc, c, key, &inside); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func incrementOnce(ctx context.Context, svc *lockapp.Service, c redis.UniversalClient, key string, inside *atomic.Int32) error {
	l, err := svc.Acquire(ctx, "counter", lockapp.WithTTL(10*time.Second))
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	if n := inside.Add(1); n != 1 {
		return fmt.Errorf("%d holders inside at once in one process", n)
	}
	count, lastFence, err := readCounter(ctx, c, key)
	if err == nil && lastFence >= l.Fence() {
		err = fmt.Errorf("fence %d is not newer than the previous holder's %d", l.Fence(), lastFence)
	}
	if err == nil {
		err = c.Set(ctx, key, fmt.Sprintf("%d %d", count+1, l.Fence()), 0).Err()
	}
	inside.Add(-1)
	if rerr := l.Release(ctx); err == nil && rerr != nil {
		err = fmt.Errorf("release: %w", rerr)
	}
	return err
}

// readCounter reads "<count> <fence of the last writer>".
func readCounter(ctx context.Context, c redis.UniversalClient, key string) (int, int64, error) {
	v, err := c.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var (
		count int
		fence int64
	)
	if _, err := fmt.Sscan(v, &count, &fence); err != nil {
		return 0, 0, fmt.Errorf("counter %q: %w", v, err)
	}
	return count, fence, nil
}

// runChild is the second process's side of the two-process tests.
func runChild(role string) error {
	cluster, _ := strconv.ParseBool(os.Getenv(envCluster))
	c := client(os.Getenv(envAddrs), cluster)
	defer c.Close()
	prefix := os.Getenv(envPrefix)
	svc, closeFn, err := locks(c, prefix)
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	switch role {
	case "mutex":
		n, err := strconv.Atoi(os.Getenv(envCount))
		if err != nil {
			return err
		}
		return increment(ctx, svc, c, prefix+":proof:counter", n)
	case "hold":
		// Take the lock with renewal, say so, and hold it until killed.
		l, err := svc.Acquire(ctx, "held-by-child", lockapp.WithTTL(time.Second))
		if err != nil {
			return err
		}
		w := bufio.NewWriter(os.Stdout)
		fmt.Fprintf(w, "held %d\n", l.Fence())
		_ = w.Flush()
		<-l.Context().Done()
		return fmt.Errorf("the renewed lock was lost: %w", context.Cause(l.Context()))
	}
	return fmt.Errorf("unknown role %q", role)
}
