// Package harness lets tests talk to real redis-server processes.
//
// A test binary that uses Standalone, Cluster or Each must wire Run into its
// TestMain, which stops every server the harness started once tests finish:
//
//	func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }
//
// Standalone and Cluster share one server (or one 3-master cluster) per test
// binary, started on first use. Every call returns its own client and a
// unique key Prefix, so parallel tests isolate themselves by prefixing keys
// and never need FLUSHDB. NewServer starts a private server for tests that
// restart or kill Redis.
//
// Environment overrides: STATEKIT_TEST_REDIS_URL (a redis:// URL) replaces
// the shared standalone server and STATEKIT_TEST_REDIS_CLUSTER_ADDRS
// (comma-separated host:port) replaces the shared cluster.
package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvRedisURL names the environment variable that, when set, points
// Standalone at an existing server instead of starting one.
const EnvRedisURL = "STATEKIT_TEST_REDIS_URL"

// EnvClusterAddrs names the environment variable (comma-separated host:port)
// that, when set, points Cluster at an existing cluster instead of starting one.
const EnvClusterAddrs = "STATEKIT_TEST_REDIS_CLUSTER_ADDRS"

const clusterTimeout = 20 * time.Second

// Target is one test's handle on a Redis deployment.
type Target struct {
	// Client is a client owned by the test; it is closed by t.Cleanup.
	Client redis.UniversalClient
	// Prefix is unique per call ("t" + 12 hex chars); tests should prefix
	// all their keys with it.
	Prefix string
	// Cluster reports whether Client talks to a Redis Cluster.
	Cluster bool
	// Addrs lists the server address(es) as host:port.
	Addrs []string
}

var running atomic.Bool

// Run runs the tests, then stops every redis-server the harness started and
// removes their temp dirs. It returns the exit code from m.Run.
func Run(m *testing.M) int {
	running.Store(true)
	defer stopAll()
	return m.Run()
}

var shared struct {
	standaloneOnce sync.Once
	standaloneOpts *redis.Options
	standaloneErr  error

	clusterOnce  sync.Once
	clusterAddrs []string
	clusterErr   error
}

// Standalone returns a Target on the shared standalone server, starting it
// on first use (or using STATEKIT_TEST_REDIS_URL). Failures are fatal.
func Standalone(t testing.TB) Target {
	t.Helper()
	opts, err := standaloneOptions()
	if err != nil {
		t.Fatalf("harness: standalone redis unavailable: %v", err)
	}
	c := redis.NewClient(&opts)
	t.Cleanup(func() { _ = c.Close() })
	checkPing(t, c, opts.Addr)
	return Target{Client: c, Prefix: NewPrefix(), Addrs: []string{opts.Addr}}
}

// Open is Standalone for code that has no *testing.T, such as a runnable Example: a Target on the shared
// standalone server (started on first use, so the test binary's TestMain must call Run, which stops it).
// The caller closes Target.Client.
func Open() (Target, error) {
	opts, err := standaloneOptions()
	if err != nil {
		return Target{}, fmt.Errorf("harness: standalone redis unavailable: %w", err)
	}
	c := redis.NewClient(&opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return Target{}, fmt.Errorf("harness: PING %s: %w", opts.Addr, err)
	}
	return Target{Client: c, Prefix: NewPrefix(), Addrs: []string{opts.Addr}}, nil
}

// standaloneOptions starts the shared standalone server once and returns a copy of its client options.
func standaloneOptions() (redis.Options, error) {
	shared.standaloneOnce.Do(func() {
		shared.standaloneOpts, shared.standaloneErr = setupStandalone()
	})
	if shared.standaloneErr != nil {
		return redis.Options{}, shared.standaloneErr
	}
	return *shared.standaloneOpts, nil
}

// Cluster returns a Target on the shared 3-master cluster, starting it on
// first use (or using STATEKIT_TEST_REDIS_CLUSTER_ADDRS). Failures are fatal.
func Cluster(t testing.TB) Target {
	t.Helper()
	shared.clusterOnce.Do(func() {
		shared.clusterAddrs, shared.clusterErr = setupCluster()
	})
	if shared.clusterErr != nil {
		t.Fatalf("harness: redis cluster unavailable: %v", shared.clusterErr)
	}
	addrs := append([]string(nil), shared.clusterAddrs...)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { _ = c.Close() })
	checkPing(t, c, strings.Join(addrs, ","))
	return Target{Client: c, Prefix: NewPrefix(), Cluster: true, Addrs: addrs}
}

// Each runs fn as two parallel subtests, "standalone" and "cluster", each
// with its own Target.
func Each(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	t.Run("standalone", func(t *testing.T) {
		t.Parallel()
		fn(t, Standalone(t))
	})
	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		fn(t, Cluster(t))
	})
}

// NewPrefix returns a fresh random key prefix: "t" followed by 12 hex chars.
func NewPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return "t" + hex.EncodeToString(b)
}

func checkPing(t testing.TB, c redis.UniversalClient, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("harness: PING %s: %v", addr, err)
	}
}

var errNoRun = errors.New("shared servers need TestMain to call harness.Run " +
	"(func TestMain(m *testing.M) { os.Exit(harness.Run(m)) })")

func setupStandalone() (*redis.Options, error) {
	if url := os.Getenv(EnvRedisURL); url != "" {
		opts, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("parse %s=%q: %w", EnvRedisURL, url, err)
		}
		return opts, nil
	}
	if !running.Load() {
		return nil, errNoRun
	}
	dir, err := makeTempDir("statekit-redis-")
	if err != nil {
		return nil, err
	}
	p, err := startWithRetry(dir, false, nil)
	if err != nil {
		return nil, err
	}
	return &redis.Options{Addr: p.addr()}, nil
}

func setupCluster() ([]string, error) {
	if env := os.Getenv(EnvClusterAddrs); env != "" {
		var addrs []string
		for a := range strings.SplitSeq(env, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("%s=%q has no addresses", EnvClusterAddrs, env)
		}
		return addrs, nil
	}
	if !running.Load() {
		return nil, errNoRun
	}
	args := []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "2000"}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		procs = make([]*proc, 3)
		errs  []error
	)
	for i := range procs {
		wg.Go(func() {
			dir, err := makeTempDir(fmt.Sprintf("statekit-cluster%d-", i))
			if err == nil {
				procs[i], err = startWithRetry(dir, true, args)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	addrs := make([]string, len(procs))
	for i, p := range procs {
		addrs[i] = p.addr()
	}
	if err := createCluster(addrs); err != nil {
		var logs strings.Builder
		for _, p := range procs {
			fmt.Fprintf(&logs, "\n--- last lines of %s ---\n%s", p.logPath, logTail(p.logPath, logTailLines))
		}
		return nil, fmt.Errorf("%w%s", err, logs.String())
	}
	return addrs, nil
}

// createCluster joins the nodes with redis-cli and waits until the cluster
// is usable from every node and from a ClusterClient.
func createCluster(addrs []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()

	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	cmd := exec.Command(redisCLIBin, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := startCmd(cmd); err != nil {
		return fmt.Errorf("start %s: %w", redisCLIBin, err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			return fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out.String())
		}
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-waitErr
		return fmt.Errorf("redis-cli --cluster create timed out after %v\n%s", clusterTimeout, out.String())
	}

	var lastErr error
	for ctx.Err() == nil {
		if lastErr = clusterReady(ctx, addrs); lastErr == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("cluster not ready after %v: %v", clusterTimeout, lastErr)
}

// clusterReady reports nil once every node says cluster_state:ok and a
// fresh ClusterClient can SET/GET keys owned by each of the three masters.
func clusterReady(ctx context.Context, addrs []string) error {
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		info, err := c.ClusterInfo(ctx).Result()
		_ = c.Close()
		if err != nil {
			return fmt.Errorf("CLUSTER INFO %s: %w", a, err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("%s: cluster_state is not ok yet", a)
		}
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, MaxRedirects: 3})
	defer cc.Close()
	// "{a}", "{b}", "{c}" hash to slots 15495, 3300 and 7365: one per master.
	for _, tag := range []string{"a", "b", "c"} {
		key := "harness:ready:{" + tag + "}"
		if err := cc.Set(ctx, key, tag, time.Minute).Err(); err != nil {
			return fmt.Errorf("SET %s: %w", key, err)
		}
		if v, err := cc.Get(ctx, key).Result(); err != nil || v != tag {
			return fmt.Errorf("GET %s = %q, %v", key, v, err)
		}
	}
	return nil
}
