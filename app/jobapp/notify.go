package jobapp

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/statekit/statekit/ports"
)

// publishers is how many goroutines publish job events at once (the bus sends one XADD per event).
const publishers = 4

// notifier publishes job events off the dispatcher's path. Its queue is bounded: when the bus cannot keep
// up, the dispatcher waits (so processing slows to what the bus takes) rather than dropping events.
type notifier struct {
	events ports.EventPublisher
	log    *slog.Logger
	ch     chan []note
	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup
}

func newNotifier(events ports.EventPublisher, log *slog.Logger) *notifier {
	n := &notifier{events: events, log: log, ch: make(chan []note, 1024)}
	for range publishers {
		n.wg.Go(n.loop)
	}
	return n
}

// note is events to publish under one correlation id ("" lets the bus use each event's own id).
type note struct {
	cid    string
	events []ports.Event
}

func (n *notifier) loop() {
	for batch := range n.ch {
		for _, nt := range batch {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if nt.cid != "" {
				ctx = ports.WithCorrelationID(ctx, nt.cid)
			}
			if err := n.events.Publish(ctx, nt.events...); err != nil {
				n.log.Warn("jobs: events not published", "events", len(nt.events), "first", nt.events[0].EventName(), "err", err)
			}
			cancel()
		}
	}
}

// publish queues events for publishing; after close it drops them with a warning.
func (n *notifier) publish(events []note) {
	if len(events) == 0 {
		return
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		n.log.Warn("jobs: events after shutdown were not published", "events", len(events))
		return
	}
	n.ch <- events
}

// close stops taking events and waits, up to ctx, for the queued ones to be published.
func (n *notifier) close(ctx context.Context) error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.ch)
	}
	n.mu.Unlock()
	done := make(chan struct{})
	go func() {
		n.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
