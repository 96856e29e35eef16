// Package sessionapp carries out the sessions use cases: it validates input, draws tokens, calls the
// session store and publishes session.created, session.ended and session.rotated.
package sessionapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
)

// Service is the sessions application service.
type Service struct {
	store  ports.SessionStore
	events ports.EventPublisher
	policy session.Policy
}

// NewService returns a service enforcing policy.
func NewService(store ports.SessionStore, events ports.EventPublisher, policy session.Policy) *Service {
	return &Service{store: store, events: events, policy: policy}
}

// Issued is a new session with the token that unlocks it. The token is shown once and never stored.
type Issued struct {
	Token   session.Token
	Session session.Session
}

// Create starts a session for a user, evicting the user's oldest sessions beyond the cap in the same
// atomic step, and publishes session.created (and session.ended for what the cap evicted).
func (s *Service) Create(ctx context.Context, in session.NewSession) (Issued, error) {
	if err := in.Validate(); err != nil {
		return Issued{}, err
	}
	tok, err := session.NewToken(in.UserID)
	if err != nil {
		return Issued{}, err
	}
	sess, ended, err := s.store.Create(ctx, tok, in, s.policy)
	if err != nil {
		return Issued{}, err
	}
	events := []ports.Event{session.Created{
		SessionID: sess.ID, UserID: sess.UserID, IP: sess.IP, Device: sess.Device,
		GuestCartID: in.GuestCartID, CreatedAt: sess.CreatedAt,
	}}
	if err := s.publish(ctx, ended, events...); err != nil {
		return Issued{}, err
	}
	return Issued{Token: tok, Session: sess}, nil
}

// Authenticate resolves a presented token to its live session, counting the request as activity and
// sliding the idle expiry. It returns session.ErrInvalidToken for a malformed token and session.ErrNotFound
// for an unknown or ended one.
func (s *Service) Authenticate(ctx context.Context, token string) (session.Session, error) {
	tok, err := session.ParseToken(token)
	if err != nil {
		return session.Session{}, err
	}
	sess, err := s.store.Touch(ctx, tok, s.policy)
	return s.reportExpired(ctx, sess, err)
}

// Get returns one of a user's sessions without counting it as activity. A session it finds expired is removed
// and reported with session.ended, as Authenticate does.
func (s *Service) Get(ctx context.Context, userID, id string) (session.Session, error) {
	if err := errors.Join(session.ValidateUserID(userID), session.ValidateID(id)); err != nil {
		return session.Session{}, err
	}
	sess, err := s.store.Get(ctx, userID, id)
	return s.reportExpired(ctx, sess, err)
}

// reportExpired publishes session.ended when a read found the session past its limits: the store removed it
// then, so no later listing will report it.
func (s *Service) reportExpired(ctx context.Context, sess session.Session, err error) (session.Session, error) {
	if errors.Is(err, session.ErrExpired) {
		return session.Session{}, errors.Join(err, s.publish(ctx, []session.Ended{{
			SessionID: sess.ID, UserID: sess.UserID, Reason: session.EndExpired,
		}}))
	}
	return sess, err
}

// List returns a user's live sessions, oldest first.
func (s *Service) List(ctx context.Context, userID string) ([]session.Session, error) {
	if err := session.ValidateUserID(userID); err != nil {
		return nil, err
	}
	list, ended, err := s.store.List(ctx, userID)
	if err != nil {
		return nil, err
	}
	return list, s.publish(ctx, ended)
}

// Count returns how many live sessions a user has.
func (s *Service) Count(ctx context.Context, userID string) (int, error) {
	if err := session.ValidateUserID(userID); err != nil {
		return 0, err
	}
	n, ended, err := s.store.Count(ctx, userID)
	if err != nil {
		return 0, err
	}
	return n, s.publish(ctx, ended)
}

// End deletes one of a user's sessions for the given reason (logout when the holder ends it, revoked when
// someone else does) and publishes session.ended.
func (s *Service) End(ctx context.Context, userID, id string, reason session.EndReason) error {
	if err := errors.Join(session.ValidateUserID(userID), session.ValidateID(id)); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, userID, id); err != nil {
		return err
	}
	return s.publish(ctx, []session.Ended{{SessionID: id, UserID: userID, Reason: reason}})
}

// EndAll revokes every session of a user except keepID (empty ends them all) and returns how many ended.
func (s *Service) EndAll(ctx context.Context, userID, keepID string) (int, error) {
	if err := session.ValidateUserID(userID); err != nil {
		return 0, err
	}
	if keepID != "" {
		if err := session.ValidateID(keepID); err != nil {
			return 0, err
		}
	}
	ids, err := s.store.DeleteAll(ctx, userID, keepID)
	if err != nil {
		return 0, err
	}
	ended := make([]session.Ended, 0, len(ids))
	for _, id := range ids {
		ended = append(ended, session.Ended{SessionID: id, UserID: userID, Reason: session.EndRevoked})
	}
	return len(ids), s.publish(ctx, ended)
}

// Update sets (non-nil) or removes (nil) application data fields of a session.
func (s *Service) Update(ctx context.Context, userID, id string, fields map[string]*string) (session.Session, error) {
	if err := errors.Join(session.ValidateUserID(userID), session.ValidateID(id), session.ValidateData(fields)); err != nil {
		return session.Session{}, err
	}
	return s.store.Update(ctx, userID, id, fields)
}

// Rotate gives a session a new token (call it on every privilege change, against session fixation): the
// old token stops working at once. It publishes session.rotated.
func (s *Service) Rotate(ctx context.Context, userID, id string) (Issued, error) {
	if err := errors.Join(session.ValidateUserID(userID), session.ValidateID(id)); err != nil {
		return Issued{}, err
	}
	tok, err := session.NewToken(userID)
	if err != nil {
		return Issued{}, err
	}
	sess, err := s.store.Rotate(ctx, userID, id, tok)
	if err != nil {
		return Issued{}, err
	}
	rotated := session.Rotated{OldSessionID: id, NewSessionID: sess.ID, UserID: userID}
	if err := s.publish(ctx, nil, rotated); err != nil {
		return Issued{}, err
	}
	return Issued{Token: tok, Session: sess}, nil
}

// publish sends events followed by a session.ended for each ended session. The state change has already
// happened when this runs, so a failure is reported as ErrEventNotPublished.
func (s *Service) publish(ctx context.Context, ended []session.Ended, events ...ports.Event) error {
	for _, e := range ended {
		events = append(events, e)
	}
	if len(events) == 0 {
		return nil
	}
	if err := s.events.Publish(ctx, events...); err != nil {
		return fmt.Errorf("%w: %w", ErrEventNotPublished, err)
	}
	return nil
}

// ErrEventNotPublished means the change was made and stored but its events could not be sent.
var ErrEventNotPublished = errors.New("change stored, event not published")
