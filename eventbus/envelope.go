package eventbus

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
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

// toMessage wraps an event in a Watermill message: a new UUID, the JSON payload and the envelope metadata.
func toMessage(e ports.Event, correlationID string, now time.Time) (*message.Message, error) {
	payload, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", e.EventName(), err)
	}
	msg := message.NewMessage(watermill.NewUUID(), payload)
	msg.Metadata.Set(metaName, e.EventName())
	msg.Metadata.Set(metaVersion, strconv.Itoa(e.EventVersion()))
	msg.Metadata.Set(metaOccurredAt, now.UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(metaSource, source(e.EventName()))
	if correlationID == "" {
		correlationID = msg.UUID
	}
	middleware.SetCorrelationID(correlationID, msg)
	return msg, nil
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
