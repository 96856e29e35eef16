package sessionapp_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/sessionapp"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

// policy differs from the default so the tests see that the service hands its own policy to the store.
var policy = session.Policy{IdleTimeout: 10 * time.Minute, AbsoluteLifetime: 24 * time.Hour, MaxPerUser: 4}

var errBus = errors.New("bus down")

type fixture struct {
	ctx   context.Context
	store *mocks.MockSessionStore
	pub   *mocks.MockEventPublisher
	svc   *sessionapp.Service
}

// newFixture returns a service on mocks with no expectations: any call a test did not expect fails it.
func newFixture(t *testing.T) fixture {
	ctrl := gomock.NewController(t)
	store, pub := mocks.NewMockSessionStore(ctrl), mocks.NewMockEventPublisher(ctrl)
	return fixture{ctx: context.Background(), store: store, pub: pub, svc: sessionapp.NewService(store, pub, policy)}
}

// expectPublish expects exactly these events, in this order, in one Publish call.
func (f fixture) expectPublish(err error, events ...ports.Event) {
	f.pub.EXPECT().Publish(gomock.Any(), gomock.Eq(events)).Return(err)
}

func token(t *testing.T, userID string) session.Token {
	t.Helper()
	tok, err := session.NewToken(userID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func sessionID(t *testing.T) string { return token(t, "someone").ID() }

func wantErr(t *testing.T, what string, err error, want ...error) {
	t.Helper()
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Errorf("%s: error %v, want %v", what, err, w)
		}
	}
}

func fields(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("f%d", i)] = "v"
	}
	return m
}

func TestCreateRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   session.NewSession
	}{
		{"empty user id", session.NewSession{UserID: ""}},
		{"colon in user id", session.NewSession{UserID: "alice:1"}},
		{"open brace in user id", session.NewSession{UserID: "{alice"}},
		{"close brace in user id", session.NewSession{UserID: "alice}"}},
		{"hash tag user id", session.NewSession{UserID: "{x}"}},
		{"star in user id", session.NewSession{UserID: "*"}},
		{"space in user id", session.NewSession{UserID: "al ice"}},
		{"user id too long", session.NewSession{UserID: strings.Repeat("a", session.MaxUserIDLen+1)}},
		{"too many device fields", session.NewSession{UserID: "alice", Device: fields(session.MaxDeviceFields + 1)}},
		{"bad device field name", session.NewSession{UserID: "alice", Device: map[string]string{"a:b": "v"}}},
		{"device value too long", session.NewSession{UserID: "alice",
			Device: map[string]string{"ua": strings.Repeat("x", session.MaxFieldValueLen+1)}}},
		{"ip too long", session.NewSession{UserID: "alice", IP: strings.Repeat("1", session.MaxIPLen+1)}},
		{"bad guest cart id", session.NewSession{UserID: "alice", GuestCartID: "cart:*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t) // no expectations: the store and the bus must not be called
			got, err := f.svc.Create(f.ctx, tt.in)
			wantErr(t, "Create", err, session.ErrInvalid)
			if got.Token != (session.Token{}) || got.Session.ID != "" {
				t.Errorf("Create = %+v, want nothing issued", got)
			}
		})
	}
}

func TestCreatePublishesCreatedAndEnded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := session.NewSession{UserID: "alice", IP: "192.0.2.7", Device: map[string]string{"os": "ios"}, GuestCartID: "cart-42"}
	at := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	var stored session.Session
	ended := []session.Ended{
		{SessionID: "old-1", UserID: "alice", Reason: session.EndEvicted},
		{SessionID: "old-2", UserID: "alice", Reason: session.EndEvicted},
		{SessionID: "dead-1", UserID: "alice", Reason: session.EndExpired},
	}
	gomock.InOrder(
		f.store.EXPECT().Create(gomock.Any(), gomock.Any(), in, policy).DoAndReturn(
			func(_ context.Context, tok session.Token, in session.NewSession, _ session.Policy) (session.Session, []session.Ended, error) {
				if tok.Shard() != session.Shard("alice") {
					t.Errorf("Create token shard %s, want alice's %s", tok.Shard(), session.Shard("alice"))
				}
				stored = session.Session{ID: tok.ID(), UserID: in.UserID, IP: in.IP, Device: in.Device, CreatedAt: at}
				return stored, ended, nil
			}),
		f.pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, events ...ports.Event) error {
			want := []ports.Event{
				session.Created{SessionID: stored.ID, UserID: "alice", IP: "192.0.2.7",
					Device: map[string]string{"os": "ios"}, GuestCartID: "cart-42", CreatedAt: at},
				ended[0], ended[1], ended[2],
			}
			if !reflect.DeepEqual(events, want) {
				t.Errorf("Publish(%#v),\nwant %#v", events, want)
			}
			return nil
		}),
	)
	got, err := f.svc.Create(f.ctx, in)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got.Session.ID != stored.ID || got.Token.ID() != stored.ID {
		t.Errorf("Create = %+v, want the stored session %s and the token that unlocks it", got, stored.ID)
	}
}

func TestCreateWithoutEvictions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := session.NewSession{UserID: "bob"}
	f.store.EXPECT().Create(gomock.Any(), gomock.Any(), in, policy).DoAndReturn(
		func(_ context.Context, tok session.Token, in session.NewSession, _ session.Policy) (session.Session, []session.Ended, error) {
			return session.Session{ID: tok.ID(), UserID: "bob"}, nil, nil
		})
	f.pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, events ...ports.Event) error {
		if len(events) != 1 {
			t.Errorf("Publish got %d events, want only session.created", len(events))
		} else if c, ok := events[0].(session.Created); !ok || c.UserID != "bob" || c.GuestCartID != "" {
			t.Errorf("Publish(%#v), want session.created for bob without a cart", events[0])
		}
		return nil
	})
	if _, err := f.svc.Create(f.ctx, in); err != nil {
		t.Fatal(err)
	}
}

func TestCreateStoreFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	errStore := fmt.Errorf("create session: %w", ports.ErrUnavailable)
	f.store.EXPECT().Create(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(session.Session{}, nil, errStore)
	_, err := f.svc.Create(f.ctx, session.NewSession{UserID: "alice"})
	wantErr(t, "Create", err, ports.ErrUnavailable)
	if errors.Is(err, sessionapp.ErrEventNotPublished) {
		t.Errorf("Create = %v: nothing was stored, so nothing should be reported unpublished", err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	tok := token(t, "alice")
	live := session.Session{ID: tok.ID(), UserID: "alice", ActivityCount: 3}
	tests := []struct {
		name      string
		touchSess session.Session
		touchErr  error
		publish   []ports.Event // nil: no publish expected
		pubErr    error
		want      session.Session
		wantErrs  []error
	}{
		{name: "live", touchSess: live, want: live},
		{name: "unknown", touchErr: session.ErrNotFound, wantErrs: []error{session.ErrNotFound}},
		{name: "store down", touchErr: ports.ErrUnavailable, wantErrs: []error{ports.ErrUnavailable}},
		{
			name:      "expired",
			touchSess: session.Session{ID: tok.ID(), UserID: "alice"}, touchErr: session.ErrExpired,
			publish:  []ports.Event{session.Ended{SessionID: tok.ID(), UserID: "alice", Reason: session.EndExpired}},
			wantErrs: []error{session.ErrExpired, session.ErrNotFound},
		},
		{
			name:      "expired, publish fails",
			touchSess: session.Session{ID: tok.ID(), UserID: "alice"}, touchErr: session.ErrExpired,
			publish:  []ports.Event{session.Ended{SessionID: tok.ID(), UserID: "alice", Reason: session.EndExpired}},
			pubErr:   errBus,
			wantErrs: []error{session.ErrExpired, sessionapp.ErrEventNotPublished, errBus},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.store.EXPECT().Touch(gomock.Any(), tok, policy).Return(tt.touchSess, tt.touchErr)
			if tt.publish != nil {
				f.expectPublish(tt.pubErr, tt.publish...)
			}
			got, err := f.svc.Authenticate(f.ctx, tok.String())
			if len(tt.wantErrs) == 0 && err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			wantErr(t, "Authenticate", err, tt.wantErrs...)
			if got.ID != tt.want.ID || got.ActivityCount != tt.want.ActivityCount {
				t.Errorf("Authenticate = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAuthenticateRejectsMalformedTokens(t *testing.T) {
	t.Parallel()
	good := token(t, "alice").String()
	for _, in := range []string{
		"",
		"Bearer " + good,
		good[:len(good)-1],
		good + "=",
		"g" + good[1:], // not a hex shard
		good[:4] + ":" + good[5:],
		good[:10] + "*" + good[11:],
		good[:10] + "{" + good[11:],
		good[:10] + "}" + good[11:],
		"*",
		"{alice}",
	} {
		f := newFixture(t) // the store must not be reached
		_, err := f.svc.Authenticate(f.ctx, in)
		wantErr(t, fmt.Sprintf("Authenticate(%q)", in), err, session.ErrInvalidToken)
	}
}

// TestGetExpiredPublishesEnded: the store removes a session it finds expired while reading it, so this is the
// only moment session.ended can be published for it (later listings no longer see it).
func TestGetExpiredPublishesEnded(t *testing.T) {
	t.Parallel()
	id := sessionID(t)
	for _, pubErr := range []error{nil, errBus} {
		f := newFixture(t)
		f.store.EXPECT().Get(gomock.Any(), "alice", id).Return(session.Session{ID: id, UserID: "alice"}, session.ErrExpired)
		f.expectPublish(pubErr, session.Ended{SessionID: id, UserID: "alice", Reason: session.EndExpired})
		got, err := f.svc.Get(f.ctx, "alice", id)
		wantErr(t, "Get(expired)", err, session.ErrExpired, session.ErrNotFound)
		if pubErr != nil {
			wantErr(t, "Get(expired) with the bus down", err, sessionapp.ErrEventNotPublished, errBus)
		}
		if got.ID != "" {
			t.Errorf("Get(expired) = %+v, want no session", got)
		}
	}
}
