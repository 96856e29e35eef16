package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/ports"
)

// Forwarder delivers envelopes to their topic streams; the event bus implements it. Forward returns nil only
// when every envelope is stored; it may be called again with envelopes it stored before (a re-relay), with
// the same ids.
type Forwarder interface {
	Forward(ctx context.Context, envs []ports.Envelope) error
}

var (
	renewScript   = luaFiles.Script("lease_renew")
	releaseScript = luaFiles.Script("lease_release")
)

// Relay forwards outbox entries to the topic streams and deletes them from the outbox. Every instance runs
// one: its workers relay the streams this process kicked, and its sweep (run by one instance at a time)
// relays entries older than the grace that no one kicked. A stream is relayed by one relay at a time, under
// a lease.
type Relay struct {
	o     *Outbox
	rdb   redis.UniversalClient
	fwd   Forwarder
	cfg   Config
	log   *slog.Logger
	m     *Metrics
	token string // this relay's lease token

	stop chan struct{}
	wg   sync.WaitGroup
}

// NewRelay returns a relay of o's streams on client, forwarding to fwd; nothing runs until Start.
func NewRelay(o *Outbox, client redis.UniversalClient, fwd Forwarder, cfg Config, log *slog.Logger, m *Metrics) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return &Relay{o: o, rdb: client, fwd: fwd, cfg: cfg, log: log.With("component", "outbox"), m: m,
		token: hex.EncodeToString(b[:]), stop: make(chan struct{})}, nil
}

// Start runs the workers and the sweep in the background. Streams kicked before Start are relayed then.
func (r *Relay) Start(context.Context) error {
	for range r.cfg.Workers {
		r.wg.Add(1)
		go r.work()
	}
	r.wg.Add(1)
	go r.sweepLoop()
	return nil
}

// Stop stops the workers and the sweep and waits for a relay in flight (bounded by ctx). What is left in the
// outbox is relayed by the sweep of a running instance.
func (r *Relay) Stop(ctx context.Context) error {
	close(r.stop)
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("outbox relay stop: %w", ctx.Err())
	}
}

// stopCtx is a context cancelled when the relay stops.
func (r *Relay) stopCtx() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (r *Relay) work() {
	defer r.wg.Done()
	ctx, cancel := r.stopCtx()
	defer cancel()
	for {
		select {
		case <-r.stop:
			return
		case <-r.o.signal:
		}
		for key := r.o.take(); key != ""; key = r.o.take() {
			r.relayKicked(ctx, key)
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// relayKicked relays a kicked stream; when another relay holds it, the kick is retried a little later, as
// the holder may have read its batch before this process's entry arrived.
func (r *Relay) relayKicked(ctx context.Context, key string) {
	held, err := r.Relay(ctx, key)
	if err != nil {
		r.m.errors.Inc()
		if ctx.Err() == nil {
			r.log.Warn("outbox relay failed; the sweep will retry", "stream", key, "err", err)
		}
		return
	}
	if !held {
		time.AfterFunc(r.cfg.LeaseRetry, func() { r.o.Kick(key) })
	}
}

// Relay forwards everything the outbox stream key holds, batch by batch, under the stream's lease. It
// reports false (and does nothing) when another relay holds the lease.
func (r *Relay) Relay(ctx context.Context, key string) (bool, error) {
	lease := key + ":lease"
	ok, err := r.rdb.SetNX(ctx, lease, r.token, r.cfg.Lease).Result()
	if err != nil {
		return false, rdb.Wrap("outbox lease", err)
	}
	if !ok {
		return false, nil
	}
	err = r.drain(ctx, key, lease)
	// A lease left behind lapses by itself; releasing it lets the next relay in at once.
	release, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = releaseScript.Run(release, r.rdb, []string{lease}, r.token).Err()
	if err == nil && r.rdb.XLen(release, key).Val() > 0 {
		// Entries appended after the last read whose kicks found the lease taken: relay them now rather
		// than when those kicks retry.
		r.o.Kick(key)
	}
	return true, err
}

// drain relays batches until the stream is empty or the lease is lost.
func (r *Relay) drain(ctx context.Context, key, lease string) error {
	for {
		n, err := r.batch(ctx, key)
		if err != nil || n < r.cfg.Batch {
			return err
		}
		held, err := renewScript.Run(ctx, r.rdb, []string{lease}, r.token, r.cfg.Lease.Milliseconds()).Int()
		if err != nil {
			return rdb.Wrap("outbox lease", err)
		}
		if held == 0 {
			return nil // lapsed during a slow batch: the new holder goes on
		}
	}
}

// batch relays the oldest entries of key, at most cfg.Batch: read, forward, delete. It returns how many it
// read.
func (r *Relay) batch(ctx context.Context, key string) (int, error) {
	msgs, err := r.rdb.XRangeN(ctx, key, "-", "+", int64(r.cfg.Batch)).Result()
	if err != nil {
		return 0, rdb.Wrap("outbox read", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	envs := make([]ports.Envelope, 0, len(msgs))
	ids := make([]string, 0, len(msgs))
	for _, msg := range msgs {
		ids = append(ids, msg.ID)
		env, err := envelope(key, msg)
		if err != nil {
			// A malformed entry can never be delivered; keeping it would block nothing (entries are
			// independent) but would be read forever, so it is logged and dropped.
			r.log.Error("outbox entry dropped", "stream", key, "id", msg.ID, "err", err)
			continue
		}
		envs = append(envs, env)
	}
	if len(envs) > 0 {
		if err := r.fwd.Forward(ctx, envs); err != nil {
			return 0, fmt.Errorf("outbox forward: %w", err)
		}
	}
	if err := r.rdb.XDel(ctx, key, ids...).Err(); err != nil {
		return 0, rdb.Wrap("outbox delete", err)
	}
	r.m.relayed.Add(float64(len(envs)))
	if ms, ok := entryMillis(msgs[0].ID); ok {
		r.m.lag.Set(max(0, time.Since(time.UnixMilli(ms)).Seconds()))
	}
	return len(msgs), nil
}

// envelope reads one outbox entry. Its id, "ob.<shard>.<entry id>", is the same however often the entry is
// relayed, and unique among the outbox's entries.
func envelope(key string, msg redis.XMessage) (ports.Envelope, error) {
	field := func(name string) string { s, _ := msg.Values[name].(string); return s }
	name, payload := field("n"), field("p")
	version, verr := strconv.Atoi(field("v"))
	at, terr := strconv.ParseInt(field("t"), 10, 64)
	if name == "" || verr != nil || terr != nil {
		return ports.Envelope{}, errors.New("outbox entry: missing or malformed name, version or time")
	}
	id := "ob." + shard(key) + "." + msg.ID
	cid := field("c")
	if cid == "" {
		cid = id
	}
	src, _, _ := strings.Cut(name, ".")
	return ports.Envelope{ID: id, Name: name, Version: version, OccurredAt: time.UnixMilli(at).UTC(),
		CorrelationID: cid, Source: src, Payload: []byte(payload)}, nil
}

// entryMillis is the time part of a stream entry id ("<ms>-<seq>").
func entryMillis(id string) (int64, bool) {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	return n, err == nil
}
