// Package activityapp carries out the activity-tracking use cases: recording (with idempotency keys and
// detectors), feeds, session replays and funnels. It publishes activity.recorded and
// activity.pattern_detected, and records cart.merged events as activities.
package activityapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/ports"
)

// Funnel scan bounds: activities are read from the global feed in pages of FunnelPage, at most
// MaxFunnelScan in all (the result says when it stopped short).
const (
	FunnelPage    = 1000
	MaxFunnelScan = 1_000_000
)

// ErrEventNotPublished means the activity was stored but its events could not be sent.
var ErrEventNotPublished = errors.New("activity stored, event not published")

// Service is the activity application service.
type Service struct {
	store  ports.ActivityStore
	events ports.EventPublisher
	policy activity.Policy
}

// NewService returns a service storing in store, publishing to events and running policy's detectors.
func NewService(store ports.ActivityStore, events ports.EventPublisher, policy activity.Policy) *Service {
	return &Service{store: store, events: events, policy: policy}
}

// Record stores an activity and publishes activity.recorded (and activity.pattern_detected when a
// detector fires). With an ID the call is idempotent: a repeat stores nothing and publishes
// activity.recorded again with the same activity id (so a publish that failed the first time is not
// lost); without one a random id is drawn.
func (s *Service) Record(ctx context.Context, in activity.NewActivity) (activity.Stored, error) {
	if err := in.Validate(); err != nil {
		return activity.Stored{}, err
	}
	dedupe := in.ID != ""
	if !dedupe {
		in.ID = newID()
	}
	stored, err := s.store.Record(ctx, in, dedupe, s.policy.DetectorFor(in.Action))
	if err != nil {
		return activity.Stored{}, err
	}
	events := []ports.Event{activity.RecordedFrom(stored.Activity)}
	if stored.Detection != nil {
		events = append(events, activity.PatternDetectedFrom(*stored.Detection))
	}
	if err := s.events.Publish(ctx, events...); err != nil {
		return stored, fmt.Errorf("%w: %w", ErrEventNotPublished, err)
	}
	return stored, nil
}

// newID draws a 128-bit random activity id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b[:])
}

// Feed returns a page of a user's activities, newest first, older than the cursor before.
func (s *Service) Feed(ctx context.Context, userID, before string, limit int) (activity.Page, error) {
	limit, err := checkPage(before, limit, activity.ValidateUserID(userID))
	if err != nil {
		return activity.Page{}, err
	}
	return s.store.Feed(ctx, userID, before, limit)
}

// Global returns a page of every user's activities, newest first, older than the cursor before.
func (s *Service) Global(ctx context.Context, before string, limit int) (activity.Page, error) {
	limit, err := checkPage(before, limit, nil)
	if err != nil {
		return activity.Page{}, err
	}
	return s.store.Global(ctx, before, limit)
}

// Replay returns a page of one session's activities in the order they happened, after the cursor after.
func (s *Service) Replay(ctx context.Context, userID, sessionID, after string, limit int) (activity.Page, error) {
	limit, err := checkPage(after, limit, errors.Join(activity.ValidateUserID(userID), activity.ValidateSessionID(sessionID)))
	if err != nil {
		return activity.Page{}, err
	}
	return s.store.Replay(ctx, userID, sessionID, after, limit)
}

func checkPage(cursor string, limit int, idErr error) (int, error) {
	limit, err := activity.ValidateLimit(limit)
	if err := errors.Join(idErr, activity.ValidateCursor(cursor), err); err != nil {
		return 0, err
	}
	return limit, nil
}

// Funnel counts the users who went through f's steps in order, reading the global feed from f.From to
// f.To + f.Within in pages (one round trip each), at most MaxFunnelScan activities.
func (s *Service) Funnel(ctx context.Context, f activity.Funnel) (activity.FunnelResult, error) {
	if err := f.Validate(); err != nil {
		return activity.FunnelResult{}, err
	}
	counter := activity.NewFunnelCounter(f)
	scanned, after := 0, ""
	end := f.To.Add(f.Within)
	for {
		p, err := s.store.Range(ctx, f.From, end, after, FunnelPage)
		if err != nil {
			return activity.FunnelResult{}, err
		}
		for _, a := range p.Items {
			counter.Add(a)
		}
		scanned += len(p.Items)
		if p.Next == "" {
			break
		}
		if scanned >= MaxFunnelScan {
			r := counter.Result()
			r.Scanned, r.Truncated = scanned, true
			return r, nil
		}
		after = p.Next
	}
	r := counter.Result()
	r.Scanned = scanned
	return r, nil
}
