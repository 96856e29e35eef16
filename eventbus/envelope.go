package eventbus

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/statekit/statekit/ports"
)

// Metadata keys of the envelope. The correlation id uses Watermill's own key so its middleware sees it.
const (
	metaName       = "name"
	metaVersion    = "version"
	metaOccurredAt = "occurred_at"
	metaSource     = "source"
)

// toMessage is the Watermill message of an envelope: its id as UUID, the JSON payload, and the envelope
// metadata (a missing correlation id becomes the envelope id).
func toMessage(env ports.Envelope) *message.Message {
	msg := message.NewMessage(env.ID, env.Payload)
	msg.Metadata.Set(metaName, env.Name)
	msg.Metadata.Set(metaVersion, strconv.Itoa(env.Version))
	msg.Metadata.Set(metaOccurredAt, env.OccurredAt.UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(metaSource, env.Source)
	cid := env.CorrelationID
	if cid == "" {
		cid = env.ID
	}
	middleware.SetCorrelationID(cid, msg)
	return msg
}

// toEnvelope reads the envelope back from a message.
func toEnvelope(msg *message.Message) (ports.Envelope, error) {
	version, err := strconv.Atoi(msg.Metadata.Get(metaVersion))
	if err != nil {
		return ports.Envelope{}, fmt.Errorf("envelope of %s: version: %w", msg.UUID, err)
	}
	occurred, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(metaOccurredAt))
	if err != nil {
		return ports.Envelope{}, fmt.Errorf("envelope of %s: occurred_at: %w", msg.UUID, err)
	}
	return ports.Envelope{
		ID:            msg.UUID,
		Name:          msg.Metadata.Get(metaName),
		Version:       version,
		OccurredAt:    occurred,
		CorrelationID: middleware.MessageCorrelationID(msg),
		Source:        msg.Metadata.Get(metaSource),
		Payload:       msg.Payload,
	}, nil
}
