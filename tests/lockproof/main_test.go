// Package lockproof proves the claims of the locks and semaphore modules under contention, through their Go
// API (lockapp, semaphoreapp) over the real Redis adapters, on standalone Redis and on Redis Cluster: mutual
// exclusion across two processes, fencing of a paused holder, renewal, Redlock with masters going down,
// never more semaphore holders than permits, FIFO order, and reclaiming expired permits.
package lockproof

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/lockredis"
	"github.com/statekit/statekit/adapters/redis/semaphoreredis"
	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/app/semaphoreapp"
	"github.com/statekit/statekit/tests/harness"
)

// The test binary re-executes itself as a second process for the two-process tests; this variable names the
// child's role, and the others tell it where Redis is.
const (
	envRole    = "STATEKIT_LOCKPROOF_ROLE"
	envAddrs   = "STATEKIT_LOCKPROOF_ADDRS"
	envCluster = "STATEKIT_LOCKPROOF_CLUSTER"
	envPrefix  = "STATEKIT_LOCKPROOF_PREFIX"
	envCount   = "STATEKIT_LOCKPROOF_COUNT"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{}) // the Redlock test stops masters on purpose; go-redis would log every failed dial
	if role := os.Getenv(envRole); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(harness.Run(m))
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// client connects to the deployment the parent named.
func client(addrs string, cluster bool) redis.UniversalClient {
	if cluster {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ","), PoolSize: 64})
	}
	return redis.NewClient(&redis.Options{Addr: addrs, PoolSize: 64})
}

// locks is the locks service on c under prefix, as a process would build it.
func locks(c redis.UniversalClient, prefix string, tune ...func(*lockredis.Config)) (*lockapp.Service, func(), error) {
	cfg := lockredis.DefaultConfig(prefix)
	for _, f := range tune {
		f(&cfg)
	}
	store, err := lockredis.New(c, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	return lockapp.NewService(store, store, lockapp.DefaultConfig()), func() { _ = store.Close() }, nil
}

func lockService(t *testing.T, tg harness.Target, tune ...func(*lockredis.Config)) *lockapp.Service {
	t.Helper()
	svc, closeFn, err := locks(tg.Client, tg.Prefix, tune...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	return svc
}

func semService(t *testing.T, tg harness.Target) *semaphoreapp.Service {
	t.Helper()
	store, err := semaphoreredis.New(tg.Client, semaphoreredis.DefaultConfig(tg.Prefix), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return semaphoreapp.NewService(store, semaphoreapp.DefaultConfig())
}

// testCtx bounds a test that would otherwise hang on a bug (not a timing assertion).
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}
