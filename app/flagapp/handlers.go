package flagapp

import (
	"context"
	"fmt"

	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports"
)

// Handler names; each names its consumer group, so they never change.
const (
	SnapshotHandlerName = "flags.snapshot"
	AuditHandlerName    = "flags.audit"
)

// SnapshotHandler refreshes this instance's snapshot when flags.toggled reports a version it does not
// hold yet. It is fan-out: every instance receives every change. Refreshing is idempotent.
func SnapshotHandler(snap *Snapshot) ports.EventHandler {
	return ports.EventHandler{Name: SnapshotHandlerName, Event: flag.Toggled{}.EventName(), FanOut: true,
		Handle: func(ctx context.Context, e ports.Envelope) error {
			var t flag.Toggled
			if err := e.Decode(&t); err != nil {
				return fmt.Errorf("decode %s %s: %w", e.Name, e.ID, err)
			}
			return snap.RefreshIfBehind(ctx, t.Version)
		}}
}

// AuditHandler records each flags.toggled in the flag's audit trail. The instances share one consumer
// group, so each change is handled by one of them; a redelivered event finds its version already recorded
// and adds nothing.
func AuditHandler(store ports.FlagStore) ports.EventHandler {
	return ports.EventHandler{Name: AuditHandlerName, Event: flag.Toggled{}.EventName(),
		Handle: func(ctx context.Context, e ports.Envelope) error {
			var t flag.Toggled
			if err := e.Decode(&t); err != nil {
				return fmt.Errorf("decode %s %s: %w", e.Name, e.ID, err)
			}
			if err := flag.ValidateKey(t.Key); err != nil || t.Version <= 0 {
				return fmt.Errorf("%s %s: not a flag change (key %q, version %d)", e.Name, e.ID, t.Key, t.Version)
			}
			_, err := store.RecordAudit(ctx, flag.AuditFrom(t))
			return err
		}}
}
