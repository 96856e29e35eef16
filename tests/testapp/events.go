package testapp

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// Subscribe adds a handler for event to the app's bus, the way an app module does, and returns the
// channel its envelopes arrive on.
func Subscribe(name, event string) (fx.Option, <-chan ports.Envelope) {
	ch := make(chan ports.Envelope, 64)
	h := ports.EventHandler{Name: name, Event: event, Handle: func(ctx context.Context, e ports.Envelope) error {
		select {
		case ch <- e:
		default: // the test stopped listening; never block the router
		}
		return nil
	}}
	return contract.Supply(ports.GroupEventHandlers, h), ch
}

// Next returns the next envelope from ch, and fails the test when none arrives within 10 s.
func Next(t *testing.T, ch <-chan ports.Envelope, what string) ports.Envelope {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no event within 10s", what)
		return ports.Envelope{}
	}
}

// Recorder is an in-memory ports.EventPublisher that keeps what it is given and can be told to fail.
type Recorder struct {
	mu     sync.Mutex
	events []ports.Event
	fail   int // how many more calls fail
}

// Publish keeps the events, or fails without keeping them while FailNext has calls left to fail.
func (r *Recorder) Publish(_ context.Context, events ...ports.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return errors.New("bus down")
	}
	r.events = append(r.events, events...)
	return nil
}

// FailNext makes the next n calls of Publish fail.
func (r *Recorder) FailNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

// Named returns the published events of a name.
func (r *Recorder) Named(name string) []ports.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ports.Event
	for _, e := range r.events {
		if e.EventName() == name {
			out = append(out, e)
		}
	}
	return out
}

// Count returns how many events of a name were published.
func (r *Recorder) Count(name string) int {
	return len(r.Named(name))
}
