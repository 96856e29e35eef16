package rdb

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Connector opens clients to the configured Redis. The process shares one client (Shared); a component
// that must own its client, such as the event bus whose Watermill parts close the client they are given,
// asks for a new one.
type Connector struct {
	opts     *redis.UniversalOptions
	embedded *embedded
	shared   redis.UniversalClient
}

// Connect parses cfg and, for the embedded mode, starts the in-process Redis. It does not dial: the first
// command does.
func Connect(cfg Config, log *slog.Logger) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	redis.SetLogger(slogPrinter{log: log.With("component", "go-redis")})
	c := &Connector{}
	if cfg.Embedded() {
		e, err := startEmbedded()
		if err != nil {
			return nil, err
		}
		log.Warn("STATEKIT_REDIS_URL is not set: using an embedded in-process Redis; all data is in memory only and is lost when statekit stops",
			"addr", e.srv.Addr())
		c.embedded = e
		c.opts = &redis.UniversalOptions{Addrs: []string{e.srv.Addr()}}
	} else {
		opts, err := cfg.Options()
		if err != nil {
			return nil, err
		}
		c.opts = opts
	}
	neverResend(c.opts)
	c.shared = c.New()
	return c, nil
}

// Shared returns the process-wide client.
func (c *Connector) Shared() redis.UniversalClient { return c.shared }

// New returns a new client to the same Redis; the caller closes it.
func (c *Connector) New() redis.UniversalClient {
	opts := *c.opts
	return redis.NewUniversalClient(&opts)
}

// NewTuned returns a new client to the same Redis whose options tune adjusts first, for a component that
// needs its own pool or timeouts (the rate limiter bounds each decision by its caller's deadline); the
// caller closes it.
func (c *Connector) NewTuned(tune func(*redis.UniversalOptions)) redis.UniversalClient {
	opts := *c.opts
	tune(&opts)
	neverResend(&opts) // whatever the tuning
	return redis.NewUniversalClient(&opts)
}

// neverResend makes a client send each command once. A command whose reply was lost may have run, and a
// script that is not idempotent (an increment, an enqueue) would run twice if resent; the caller gets an
// error wrapping ports.ErrUnavailable instead, at once (fail fast: 503 within the readiness bound). go-redis
// reads -1 as "none" (0 would mean its default of 3). A cluster client also resends a command that timed
// out through its redirect loop, so it follows no redirect either: a MOVED or ASK reply (only while slots
// move) reloads the slot map and fails that one call as unavailable; the next call goes to the right node.
func neverResend(opts *redis.UniversalOptions) {
	opts.MaxRetries = -1
	opts.MaxRedirects = -1
}

// Embedded reports whether the Redis is the in-process one.
func (c *Connector) Embedded() bool { return c.embedded != nil }

// Ping checks that Redis answers within ctx.
func (c *Connector) Ping(ctx context.Context) error {
	if err := c.shared.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Close closes the shared client and stops the embedded Redis.
func (c *Connector) Close() error {
	err := c.shared.Close()
	if c.embedded != nil {
		c.embedded.stop()
	}
	return err
}

// embedded is a miniredis whose keys expire in real time. miniredis only expires keys when told time has
// passed (FastForward), so a ticker tells it, every 50 ms, how much wall-clock time went by.
type embedded struct {
	srv  *miniredis.Miniredis
	done chan struct{}
	wg   sync.WaitGroup
}

const embeddedTick = 50 * time.Millisecond

func startEmbedded() (*embedded, error) {
	srv := miniredis.NewMiniRedis()
	if err := srv.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	e := &embedded{srv: srv, done: make(chan struct{})}
	e.wg.Add(1)
	go e.drive()
	return e, nil
}

func (e *embedded) drive() {
	defer e.wg.Done()
	t := time.NewTicker(embeddedTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.done:
			return
		case now := <-t.C:
			e.srv.FastForward(now.Sub(last))
			last = now
		}
	}
}

func (e *embedded) stop() {
	close(e.done)
	e.wg.Wait()
	e.srv.Close()
}

// slogPrinter routes go-redis's internal log lines (pool and reconnect trouble) through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(ctx context.Context, format string, v ...any) {
	p.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}
