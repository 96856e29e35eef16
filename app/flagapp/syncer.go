package flagapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/statekit/statekit/ports"
)

// Syncer owns the flags module's background goroutine: it loads the snapshot at start, compares the stored
// version number with the snapshot's every SyncInterval (refreshing when they differ, which catches a
// missed flags.toggled), and every FlushInterval writes the evaluation counts in one batch and publishes the
// sampled flags.evaluated events. Stop ends the goroutine and flushes one last time.
type Syncer struct {
	snap  *Snapshot
	store ports.FlagStore
	pub   ports.EventPublisher
	cfg   Config
	log   *slog.Logger

	stop chan struct{}
	done chan struct{}
}

// NewSyncer returns a syncer for snap; nothing runs until Start.
func NewSyncer(snap *Snapshot, store ports.FlagStore, pub ports.EventPublisher, cfg Config, log *slog.Logger) *Syncer {
	return &Syncer{snap: snap, store: store, pub: pub, cfg: cfg, log: log.With("component", "flags"),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start loads the snapshot and starts the background goroutine. A failed first load is logged, not
// fatal: the periodic check retries it, and evaluations report not_found until then.
func (s *Syncer) Start(ctx context.Context) error {
	if err := s.snap.Refresh(ctx); err != nil {
		s.log.WarnContext(ctx, "flags: first load failed; retrying on the next version check", "err", err)
	}
	go s.run()
	return nil
}

// Stop ends the goroutine and flushes the last counts within ctx.
func (s *Syncer) Stop(ctx context.Context) error {
	close(s.stop)
	select {
	case <-s.done:
	case <-ctx.Done():
		return fmt.Errorf("stop flags syncer: %w", ctx.Err())
	}
	return s.Flush(ctx)
}

func (s *Syncer) run() {
	defer close(s.done)
	syncTick := time.NewTicker(s.cfg.SyncInterval)
	defer syncTick.Stop()
	flushTick := time.NewTicker(s.cfg.FlushInterval)
	defer flushTick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-syncTick.C:
			s.background(s.Sync, "version check")
		case <-flushTick.C:
			s.background(s.Flush, "flush")
		}
	}
}

// stepTimeout bounds one background step (a version check with its refresh, or a flush).
const stepTimeout = 10 * time.Second

// background runs one step within stepTimeout, logging a failure.
func (s *Syncer) background(step func(context.Context) error, what string) {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := step(ctx); err != nil {
		s.log.Warn("flags: "+what+" failed", "err", err)
	}
}

// Sync compares the stored version number with the snapshot's (one round trip) and refreshes the snapshot
// when they differ, or when it was never loaded.
func (s *Syncer) Sync(ctx context.Context) error {
	v, err := s.store.Version(ctx)
	if err != nil {
		return err
	}
	if v == s.snap.Version() && s.snap.Loaded() {
		return nil
	}
	return s.snap.Refresh(ctx)
}

// Flush writes the evaluation counts gathered since the last flush (one round trip; on failure they are
// kept for the next one) and publishes the sampled flags.evaluated events.
func (s *Syncer) Flush(ctx context.Context) error {
	var errs []error
	if counts := s.snap.takeCounts(); len(counts) > 0 {
		if err := s.store.AddCounts(ctx, counts); err != nil {
			s.snap.giveBack(counts)
			errs = append(errs, err)
		}
	}
	if samples := s.snap.takeSamples(); len(samples) > 0 {
		if err := s.pub.Publish(ctx, samples...); err != nil {
			errs = append(errs, fmt.Errorf("publish flags.evaluated: %w", err))
		}
	}
	return errors.Join(errs...)
}
