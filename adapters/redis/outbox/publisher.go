package outbox

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/ports"
)

var publishScript = Script(luaFiles, "empty", "publish")

// Publisher implements ports.EventPublisher through the outbox: for events that belong to no single state
// change (telemetry samples, reactions of handlers). Publish appends the events, in order and atomically, to
// the outbox stream in the slot of the first event's name, then kicks the relay. A nil error means the
// events are in Redis and will reach their topics (at least once) even if this process stops now.
type Publisher struct {
	rdb redis.UniversalClient
	o   *Outbox
}

var _ ports.EventPublisher = (*Publisher)(nil)

// NewPublisher returns a publisher appending to o's streams on client.
func NewPublisher(client redis.UniversalClient, o *Outbox) *Publisher {
	return &Publisher{rdb: client, o: o}
}

// Publish appends events to the outbox; the correlation id comes from ctx. An error that wraps
// ports.ErrUnavailable may hide an append that happened (its reply was lost): a caller that retries may
// publish the events twice, under new envelope ids.
func (p *Publisher) Publish(ctx context.Context, events ...ports.Event) error {
	if len(events) == 0 {
		return nil
	}
	args, err := p.o.Args(ctx, events...)
	if err != nil {
		return err
	}
	key := p.o.For(events[0].EventName())
	if err := publishScript.Run(ctx, p.rdb, []string{key}, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return rdb.Wrap("publish "+events[0].EventName(), err)
	}
	p.o.Kick(key)
	return nil
}
