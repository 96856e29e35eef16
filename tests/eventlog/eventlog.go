// Package eventlog is a ports.EventPublisher for runnable Examples: it prints the name of every event it is
// given, so an Example's output shows which events a use case publishes.
package eventlog

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/statekit/statekit/ports"
)

// Printer writes "event: <name>" for each published event to W (standard output when W is nil). Publish
// never fails. It is safe for concurrent use.
type Printer struct {
	W  io.Writer
	mu sync.Mutex
}

// Publish prints the events' names in order.
func (p *Printer) Publish(_ context.Context, events ...ports.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.W
	if w == nil {
		w = os.Stdout
	}
	for _, e := range events {
		fmt.Fprintf(w, "event: %s\n", e.EventName())
	}
	return nil
}

// Discard is a ports.EventPublisher that drops every event, for Examples whose events are not the point.
type Discard struct{}

// Publish drops the events.
func (Discard) Publish(context.Context, ...ports.Event) error { return nil }
