package sessionapp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/sessionapp"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
)

func TestEnd(t *testing.T) {
	t.Parallel()
	id := sessionID(t)
	for _, reason := range []session.EndReason{session.EndLogout, session.EndRevoked} {
		t.Run(string(reason), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			gomock.InOrder(
				f.store.EXPECT().Delete(gomock.Any(), "alice", id).Return(nil),
				f.pub.EXPECT().Publish(gomock.Any(), gomock.Eq([]ports.Event{
					session.Ended{SessionID: id, UserID: "alice", Reason: reason},
				})).Return(nil),
			)
			if err := f.svc.End(f.ctx, "alice", id, reason); err != nil {
				t.Fatalf("End: %v", err)
			}
		})
	}
}

func TestEndNotFoundPublishesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := sessionID(t)
	f.store.EXPECT().Delete(gomock.Any(), "alice", id).Return(session.ErrNotFound)
	wantErr(t, "End", f.svc.End(f.ctx, "alice", id, session.EndLogout), session.ErrNotFound)
}

func TestEndAll(t *testing.T) {
	t.Parallel()
	keep, a, b, c := sessionID(t), sessionID(t), sessionID(t), sessionID(t)
	tests := []struct {
		name    string
		keepID  string
		removed []string
	}{
		{"keep one", keep, []string{a, b, c}},
		{"keep none", "", []string{a, keep}},
		{"nothing to end", keep, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.store.EXPECT().DeleteAll(gomock.Any(), "alice", tt.keepID).Return(tt.removed, nil)
			if len(tt.removed) > 0 {
				var want []ports.Event
				for _, id := range tt.removed {
					want = append(want, session.Ended{SessionID: id, UserID: "alice", Reason: session.EndRevoked})
				}
				f.expectPublish(nil, want...)
			}
			n, err := f.svc.EndAll(f.ctx, "alice", tt.keepID)
			if err != nil || n != len(tt.removed) {
				t.Errorf("EndAll = %d, %v; want %d", n, err, len(tt.removed))
			}
		})
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	oldID := sessionID(t)
	var newTok session.Token
	gomock.InOrder(
		f.store.EXPECT().Rotate(gomock.Any(), "alice", oldID, gomock.Any()).DoAndReturn(
			func(_ any, _, _ string, tok session.Token) (session.Session, error) {
				if tok.Shard() != session.Shard("alice") {
					t.Errorf("Rotate token shard %s, want alice's %s", tok.Shard(), session.Shard("alice"))
				}
				newTok = tok
				return session.Session{ID: tok.ID(), UserID: "alice", ActivityCount: 7}, nil
			}),
		f.pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(func(_ any, events ...ports.Event) error {
			want := session.Rotated{OldSessionID: oldID, NewSessionID: newTok.ID(), UserID: "alice"}
			if len(events) != 1 || events[0] != ports.Event(want) {
				t.Errorf("Publish(%+v), want only %+v", events, want)
			}
			return nil
		}),
	)
	got, err := f.svc.Rotate(f.ctx, "alice", oldID)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if got.Token != newTok || got.Session.ID != newTok.ID() || got.Session.ID == oldID || got.Session.ActivityCount != 7 {
		t.Errorf("Rotate = %+v, want the new token %s and the moved session", got, newTok.ID())
	}
}

func TestRotateStoreFailurePublishesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := sessionID(t)
	f.store.EXPECT().Rotate(gomock.Any(), "alice", id, gomock.Any()).Return(session.Session{}, session.ErrNotFound)
	got, err := f.svc.Rotate(f.ctx, "alice", id)
	wantErr(t, "Rotate", err, session.ErrNotFound)
	if got.Token != (session.Token{}) {
		t.Errorf("Rotate issued %s on failure", got.Token)
	}
}

func TestListAndCountPublishPruned(t *testing.T) {
	t.Parallel()
	pruned := []session.Ended{{SessionID: "x", UserID: "alice", Reason: session.EndExpired}}
	list := []session.Session{{ID: "a", UserID: "alice"}, {ID: "b", UserID: "alice"}}

	f := newFixture(t)
	f.store.EXPECT().List(gomock.Any(), "alice").Return(list, pruned, nil)
	f.expectPublish(nil, pruned[0])
	got, err := f.svc.List(f.ctx, "alice")
	if err != nil || len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Errorf("List = %+v, %v; want a, b", got, err)
	}

	f.store.EXPECT().Count(gomock.Any(), "alice").Return(2, pruned, nil)
	f.expectPublish(nil, pruned[0])
	if n, err := f.svc.Count(f.ctx, "alice"); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}

	// Nothing pruned: nothing published (the mock fails on an unexpected Publish).
	f.store.EXPECT().List(gomock.Any(), "alice").Return(list, nil, nil)
	f.store.EXPECT().Count(gomock.Any(), "alice").Return(2, nil, nil)
	if _, err := f.svc.List(f.ctx, "alice"); err != nil {
		t.Error(err)
	}
	if _, err := f.svc.Count(f.ctx, "alice"); err != nil {
		t.Error(err)
	}
}

// TestRejectsInvalidInputBeforeStore covers the validation of every use case taking a user or session id:
// an invalid one never reaches the store.
func TestRejectsInvalidInputBeforeStore(t *testing.T) {
	t.Parallel()
	id := sessionID(t)
	dark := "dark"
	data := map[string]*string{"theme": &dark}
	badUsers := []string{"", "a:b", "{a}", "a*", strings.Repeat("a", session.MaxUserIDLen+1)}
	badIDs := []string{"", "short", id[:42] + ":", "{" + id[1:], id[:42] + "*", token(t, "alice").String()}
	type call func(f fixture, user, id string) error
	calls := map[string]call{
		"Get":    func(f fixture, u, i string) error { _, err := f.svc.Get(f.ctx, u, i); return err },
		"End":    func(f fixture, u, i string) error { return f.svc.End(f.ctx, u, i, session.EndLogout) },
		"Update": func(f fixture, u, i string) error { _, err := f.svc.Update(f.ctx, u, i, data); return err },
		"Rotate": func(f fixture, u, i string) error { _, err := f.svc.Rotate(f.ctx, u, i); return err },
		"EndAll": func(f fixture, u, i string) error { _, err := f.svc.EndAll(f.ctx, u, i); return err },
	}
	for name, c := range calls {
		for _, u := range badUsers {
			wantErr(t, name+"(user "+u+")", c(newFixture(t), u, id), session.ErrInvalid)
		}
		for _, i := range badIDs {
			if name == "EndAll" && i == "" {
				continue // an empty keep id means "keep none"
			}
			wantErr(t, name+"(id "+i+")", c(newFixture(t), "alice", i), session.ErrInvalid)
		}
	}
	for _, u := range badUsers {
		f := newFixture(t)
		_, err := f.svc.List(f.ctx, u)
		wantErr(t, "List("+u+")", err, session.ErrInvalid)
		_, err = f.svc.Count(f.ctx, u)
		wantErr(t, "Count("+u+")", err, session.ErrInvalid)
	}
	badData := []map[string]*string{nil, {}, {"a:b": &dark}, {"x": ptr(strings.Repeat("v", session.MaxFieldValueLen+1))}}
	for _, d := range badData {
		f := newFixture(t)
		_, err := f.svc.Update(f.ctx, "alice", id, d)
		wantErr(t, "Update(bad data)", err, session.ErrInvalid)
	}
}

func ptr(s string) *string { return &s }

func TestGetAndUpdatePassThrough(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := sessionID(t)
	dark := "dark"
	data := map[string]*string{"theme": &dark, "lang": nil}
	want := session.Session{ID: id, UserID: "alice", Data: map[string]string{"theme": "dark"}}
	f.store.EXPECT().Get(gomock.Any(), "alice", id).Return(want, nil)
	f.store.EXPECT().Update(gomock.Any(), "alice", id, data).Return(want, nil)
	if got, err := f.svc.Get(f.ctx, "alice", id); err != nil || got.ID != id {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if got, err := f.svc.Update(f.ctx, "alice", id, data); err != nil || got.Data["theme"] != "dark" {
		t.Errorf("Update = %+v, %v", got, err)
	}
}

// TestPublishFailure checks that every use case that changed state reports a failed publish as
// ErrEventNotPublished, wrapping the bus error.
func TestPublishFailure(t *testing.T) {
	t.Parallel()
	id := sessionID(t)
	pruned := []session.Ended{{SessionID: "x", UserID: "alice", Reason: session.EndExpired}}
	tests := []struct {
		name  string
		setup func(f fixture)
		run   func(f fixture) error
	}{
		{"Create",
			func(f fixture) {
				f.store.EXPECT().Create(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
					Return(session.Session{ID: id, UserID: "alice"}, nil, nil)
			},
			func(f fixture) error { _, err := f.svc.Create(f.ctx, session.NewSession{UserID: "alice"}); return err }},
		{"End",
			func(f fixture) { f.store.EXPECT().Delete(gomock.Any(), "alice", id).Return(nil) },
			func(f fixture) error { return f.svc.End(f.ctx, "alice", id, session.EndLogout) }},
		{"EndAll",
			func(f fixture) { f.store.EXPECT().DeleteAll(gomock.Any(), "alice", "").Return([]string{id}, nil) },
			func(f fixture) error { _, err := f.svc.EndAll(f.ctx, "alice", ""); return err }},
		{"Rotate",
			func(f fixture) {
				f.store.EXPECT().Rotate(gomock.Any(), "alice", id, gomock.Any()).Return(session.Session{ID: "new"}, nil)
			},
			func(f fixture) error { _, err := f.svc.Rotate(f.ctx, "alice", id); return err }},
		{"List",
			func(f fixture) { f.store.EXPECT().List(gomock.Any(), "alice").Return(nil, pruned, nil) },
			func(f fixture) error { _, err := f.svc.List(f.ctx, "alice"); return err }},
		{"Count",
			func(f fixture) { f.store.EXPECT().Count(gomock.Any(), "alice").Return(0, pruned, nil) },
			func(f fixture) error { _, err := f.svc.Count(f.ctx, "alice"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tt.setup(f)
			f.pub.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(errBus)
			err := tt.run(f)
			wantErr(t, tt.name, err, sessionapp.ErrEventNotPublished, errBus)
			if errors.Is(err, session.ErrNotFound) {
				t.Errorf("%s = %v: the change was made, it must not look like a miss", tt.name, err)
			}
		})
	}
}
