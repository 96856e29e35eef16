package ports

//go:generate go tool mockgen -source=events.go -destination=mocks/events.go -package=mocks

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Event is a domain event: a struct in its module's domain package with a stable name ("cart.merged") and a
// version that changes when its JSON shape changes incompatibly.
type Event interface {
	EventName() string
	EventVersion() int
}

// EventPublisher is the app layer's only view of the event bus. Publish sends the events in order; each
// carries the correlation id found in ctx (see WithCorrelationID). A nil error means the events are stored
// and will be delivered at least once. Events that describe a state change are better written by the
// store in the same step as the change (the outbox), so that the change and its events cannot part.
type EventPublisher interface {
	Publish(ctx context.Context, events ...Event) error
}

// Envelope is an event as a handler receives it: the JSON payload and the metadata the bus adds.
type Envelope struct {
	ID            string
	Name          string
	Version       int
	OccurredAt    time.Time
	CorrelationID string
	// Source is the module that published the event (the part of Name before the first dot).
	Source  string
	Payload []byte
}

// Decode unmarshals the payload into v.
func (e Envelope) Decode(v any) error {
	return json.Unmarshal(e.Payload, v)
}

// EventHandler is how an app module asks for events without seeing the bus. The bus subscribes each handler
// contributed to GroupEventHandlers.
type EventHandler struct {
	// Name identifies the handler; it names its consumer group, so it must be unique and stable.
	Name string
	// Event is the event name to receive, e.g. "session.created".
	Event string
	// FanOut delivers every event to every instance (for per-instance state such as an L1 cache); otherwise
	// the instances share one consumer group and each event reaches one of them.
	FanOut bool
	// Replay asks for the events already in the topic when the handler's consumer group is first created
	// (or, for a fan-out handler, when this instance starts reading). By default a new group starts at the
	// topic's end: a handler added later does not receive the events published before it existed.
	Replay bool
	// Handle processes one event. Delivery is at least once, so it must be idempotent. An error is retried
	// with backoff and, when retries run out, the event goes to the dead-letter stream with the error.
	Handle func(ctx context.Context, e Envelope) error
}

type correlationKey struct{}

// WithCorrelationID returns ctx carrying a correlation id (the HTTP request id, or the id of the event being
// handled) that Publish stamps on every event it sends.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the correlation id carried by ctx, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// ErrUnavailable marks a failure to reach a backing service (Redis down, a timeout, a closed pool), as
// opposed to a bug or a rejected request. Adapters wrap such failures with it; HTTP answers 503.
var ErrUnavailable = errors.New("backing service unavailable")
