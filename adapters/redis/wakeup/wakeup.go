// Package wakeup delivers the wake-up messages that Lua scripts PUBLISH when they hand a lock or permits to a
// queued waiter, to the goroutine of this process that waits for them. One pub/sub subscription per Hub
// carries the messages of every waiter of the process, so waiting holds no pooled connection (unlike one
// BLPOP per waiter) and adds no polling load on Redis.
//
// A message is "<waiter id> <data>" on the hub's channel. PUBLISH reaches every node of a Redis Cluster, so
// the subscription may sit on any node. Pub/sub is fire-and-forget: a message sent while the subscription
// reconnects is lost, so waiters must also look again after a bounded time; the hub is the fast path, not the
// only one.
package wakeup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
)

// Hub routes messages of one pub/sub channel to registered waiters; decode turns a message's data part into
// what waiters receive.
type Hub[T any] struct {
	client  redis.UniversalClient
	channel string
	decode  func(string) T

	startMu sync.Mutex // serializes the first subscription
	sub     *redis.PubSub
	closed  bool
	done    chan struct{}

	mu      sync.Mutex
	waiters map[string]chan T
}

// NewChannel returns a fresh channel name under base ("<prefix>:lock:wake"), unique to one process.
func NewChannel(base string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return base + ":" + hex.EncodeToString(b[:])
}

// New returns a hub for channel on client; it subscribes on the first Register.
func New[T any](client redis.UniversalClient, channel string, decode func(string) T) *Hub[T] {
	return &Hub[T]{client: client, channel: channel, decode: decode, waiters: map[string]chan T{}}
}

// Channel is the pub/sub channel scripts publish to for this hub's waiters.
func (h *Hub[T]) Channel() string { return h.channel }

// ErrClosed is returned by Register after Close.
var ErrClosed = errors.New("wake-up hub closed")

// Register makes sure the subscription is live (so no message published after Register returns is missed
// for want of a subscriber) and returns the channel on which id's messages arrive; it holds at most the
// latest undelivered message. stop unregisters id.
func (h *Hub[T]) Register(ctx context.Context, id string) (<-chan T, func(), error) {
	if err := h.start(ctx); err != nil {
		return nil, func() {}, err
	}
	ch := make(chan T, 1)
	h.mu.Lock()
	h.waiters[id] = ch
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		if h.waiters[id] == ch {
			delete(h.waiters, id)
		}
		h.mu.Unlock()
	}, nil
}

func (h *Hub[T]) start(ctx context.Context) error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if h.sub != nil {
		return nil
	}
	sub := h.client.Subscribe(ctx, h.channel)
	// The first reply is the subscription's confirmation: from then on the server delivers to us.
	if _, err := sub.Receive(ctx); err != nil {
		_ = sub.Close()
		return rdb.Wrap("subscribe to wake-ups", err)
	}
	h.sub = sub
	h.done = make(chan struct{})
	go h.route(sub)
	return nil
}

// idleCheck is how long the subscription may stay silent before the router pings it; a connection that died
// without a word is then noticed (and go-redis reconnects and resubscribes on the next read).
const idleCheck = 15 * time.Second

// route reads the subscription itself (one goroutine between Redis and the waiter, not two) and hands each
// message to its waiter; it ends when the subscription is closed.
func (h *Hub[T]) route(sub *redis.PubSub) {
	defer close(h.done)
	ctx := context.Background()
	failures := 0
	for {
		msg, err := sub.ReceiveTimeout(ctx, idleCheck)
		if err != nil {
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			var timeout net.Error
			if errors.As(err, &timeout) && timeout.Timeout() {
				_ = sub.Ping(ctx) // its answer, or the failure to send it, comes back through ReceiveTimeout
				continue
			}
			// The connection broke: go-redis dials again and resubscribes on the next read. Messages sent
			// meanwhile are lost; waiters look again on their own timers.
			failures++
			time.Sleep(min(time.Duration(failures)*50*time.Millisecond, time.Second))
			continue
		}
		failures = 0
		m, ok := msg.(*redis.Message)
		if !ok {
			continue // subscription confirmations and pongs
		}
		id, data, ok := strings.Cut(m.Payload, " ")
		if !ok {
			continue
		}
		h.deliver(id, data, nil)
	}
}

// Deliver hands v to waiter id as if its message had arrived on the channel: a script that granted
// something to a waiter of this process says so in its reply, and the caller hands it over here, sparing the
// pub/sub round trip. It reports whether id was registered.
func (h *Hub[T]) Deliver(id string, v T) bool {
	return h.deliver(id, "", &v)
}

// deliver passes a message to waiter id, decoded from data unless v is given, replacing a pending one: the
// waiter holds at most the latest.
func (h *Hub[T]) deliver(id, data string, v *T) bool {
	h.mu.Lock()
	defer h.mu.Unlock() // senders hold mu, so after the drain below there is room
	ch := h.waiters[id]
	if ch == nil {
		return false // the waiter gave up or was never here; its next look finds the state anyway
	}
	if v == nil {
		d := h.decode(data)
		v = &d
	}
	select {
	case ch <- *v:
	default:
		select {
		case <-ch:
		default:
		}
		ch <- *v
	}
	return true
}

// Close ends the subscription and waits for the router to stop. Register fails afterwards.
func (h *Hub[T]) Close() error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	h.closed = true
	if h.sub == nil {
		return nil
	}
	err := h.sub.Close()
	<-h.done
	h.sub = nil
	return err
}
