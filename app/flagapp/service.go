// Package flagapp carries out the feature-flag use cases: admin changes (each stored with a new version
// number and published as flags.toggled), evaluation from the in-process Snapshot, the Syncer that keeps
// the snapshot fresh and flushes evaluation counts, and the event handlers that refresh every instance's
// snapshot (fan-out) and keep the audit trail (consumer group).
package flagapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports"
)

// Limits of the audit listing.
const (
	DefaultAuditLimit = 50
	MaxAuditLimit     = 1000
	// MaxEvaluateKeys bounds how many flags one evaluation request may name.
	MaxEvaluateKeys = 200
)

// ErrEventNotPublished means the change was stored but flags.toggled could not be sent; other instances
// pick the change up at their next version check, but the audit trail misses it.
var ErrEventNotPublished = errors.New("change stored, event not published")

// Service is the flags application service.
type Service struct {
	store  ports.FlagStore
	events ports.EventPublisher
	snap   *Snapshot
}

// NewService returns a service that changes flags in store, publishes to events and evaluates from snap.
func NewService(store ports.FlagStore, events ports.EventPublisher, snap *Snapshot) *Service {
	return &Service{store: store, events: events, snap: snap}
}

// List returns every flag as stored now (not the snapshot), in no particular order.
func (s *Service) List(ctx context.Context) (flag.Set, error) {
	return s.store.All(ctx)
}

// Get returns one flag as stored now.
func (s *Service) Get(ctx context.Context, key string) (flag.Flag, error) {
	if err := flag.ValidateKey(key); err != nil {
		return flag.Flag{}, err
	}
	return s.store.Get(ctx, key)
}

// Put creates or replaces a flag on behalf of actor. expect is the version the flag must have (0 any,
// flag.MustNotExist to only create). The flag is validated in full before anything is stored.
func (s *Service) Put(ctx context.Context, actor string, f flag.Flag, expect int64) (flag.Change, error) {
	if err := errors.Join(flag.ValidateActor(actor), f.Validate()); err != nil {
		return flag.Change{}, err
	}
	if expect < flag.MustNotExist {
		return flag.Change{}, fmt.Errorf("%w: expected version %d", flag.ErrInvalid, expect)
	}
	c, err := s.store.Put(ctx, f, expect, actor)
	if err != nil {
		return flag.Change{}, err
	}
	return c, s.announce(ctx, c)
}

// SetEnabled pulls (false) or releases (true) a flag's kill switch on behalf of actor.
func (s *Service) SetEnabled(ctx context.Context, actor, key string, enabled bool) (flag.Change, error) {
	if err := errors.Join(flag.ValidateActor(actor), flag.ValidateKey(key)); err != nil {
		return flag.Change{}, err
	}
	c, err := s.store.SetEnabled(ctx, key, enabled, actor)
	if err != nil {
		return flag.Change{}, err
	}
	return c, s.announce(ctx, c)
}

// Delete removes a flag on behalf of actor; expect is as for Put (flag.MustNotExist makes no sense here).
func (s *Service) Delete(ctx context.Context, actor, key string, expect int64) (flag.Change, error) {
	if err := errors.Join(flag.ValidateActor(actor), flag.ValidateKey(key)); err != nil {
		return flag.Change{}, err
	}
	if expect < 0 {
		return flag.Change{}, fmt.Errorf("%w: expected version %d", flag.ErrInvalid, expect)
	}
	c, err := s.store.Delete(ctx, key, expect, actor)
	if err != nil {
		return flag.Change{}, err
	}
	return c, s.announce(ctx, c)
}

// announce publishes flags.toggled for a stored change and brings this instance's snapshot up to it at
// once (the fan-out event would do it a moment later). A failed local refresh is not the caller's
// problem: the change is stored and the event or the version check will bring it.
func (s *Service) announce(ctx context.Context, c flag.Change) error {
	var err error
	if perr := s.events.Publish(ctx, flag.ToggledFrom(c)); perr != nil {
		err = fmt.Errorf("%w: %w", ErrEventNotPublished, perr)
	}
	_ = s.snap.RefreshIfBehind(ctx, c.Version)
	return err
}

// Audit returns up to limit entries (0: DefaultAuditLimit) of a flag's audit trail, newest first, with
// versions below before (0: from the newest).
func (s *Service) Audit(ctx context.Context, key string, before int64, limit int) ([]flag.AuditEntry, error) {
	if err := flag.ValidateKey(key); err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = DefaultAuditLimit
	}
	if limit < 1 || limit > MaxAuditLimit || before < 0 {
		return nil, fmt.Errorf("%w: limit must be 1-%d and before not negative", flag.ErrInvalid, MaxAuditLimit)
	}
	return s.store.Audit(ctx, key, before, limit)
}

// Counts returns a flag's stored evaluation counts per variant (each instance adds its own every flush).
func (s *Service) Counts(ctx context.Context, key string) (map[string]int64, error) {
	if err := flag.ValidateKey(key); err != nil {
		return nil, err
	}
	return s.store.Counts(ctx, key)
}

// Evaluate validates a context that came from outside and evaluates the named flags for it (every flag
// when keys is empty) from the snapshot, without a round trip. It returns the snapshot's version too.
func (s *Service) Evaluate(c flag.Context, keys []string) ([]flag.Result, int64, error) {
	if err := c.Validate(); err != nil {
		return nil, 0, err
	}
	if len(keys) > MaxEvaluateKeys {
		return nil, 0, fmt.Errorf("%w: at most %d keys per evaluation", flag.ErrInvalid, MaxEvaluateKeys)
	}
	for _, k := range keys {
		if err := flag.ValidateKey(k); err != nil {
			return nil, 0, err
		}
	}
	results, version := s.snap.EvaluateAll(&c, keys)
	return results, version, nil
}

// Snapshot is the service's in-process snapshot, for Go callers that evaluate on a hot path.
func (s *Service) Snapshot() *Snapshot { return s.snap }
