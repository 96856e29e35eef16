package eventbus

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/ports"
)

// Forward writes each envelope to its topic stream, in one pipeline, in the format the Watermill subscriber
// decodes: the envelope id is the message UUID, so a re-relayed event reaches handlers with the id it had the
// first time. Streams are trimmed to MaxLen (approximately). The outbox relay is its only caller and the
// only writer of the topic streams besides the dead-letter middleware.
func (b *Bus) Forward(ctx context.Context, envs []ports.Envelope) error {
	cmds := make([]*redis.StringCmd, len(envs))
	_, err := b.fwd.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, env := range envs {
			values, err := marshal(env)
			if err != nil {
				return err
			}
			cmds[i] = p.XAdd(ctx, &redis.XAddArgs{Stream: Topic(b.cfg.Prefix, env.Name), Values: values,
				MaxLen: b.cfg.MaxLen, Approx: true})
		}
		return nil
	})
	for i, cmd := range cmds {
		if cmd != nil {
			b.metrics.published(envs[i].Name, cmd.Err())
		}
	}
	if err != nil {
		return fmt.Errorf("forward %d events: %w", len(envs), err)
	}
	return nil
}

// marshal is the stream entry of an envelope, built by Watermill's own marshaller so its subscriber reads
// it back exactly (toEnvelope).
func marshal(env ports.Envelope) (map[string]any, error) {
	values, err := redisstream.DefaultMarshallerUnmarshaller{}.Marshal("", toMessage(env))
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", env.Name, env.ID, err)
	}
	return values, nil
}
