package sessionredis_test

import (
	"maps"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/session"
)

// The contract cases for managing sessions: Delete, DeleteAll, Update and Rotate (listed in contract_test.go).

func testDelete(t *testing.T, e env) {
	p := testPolicy
	a1 := e.mustCreate(t, "alice", p)
	a2 := e.mustCreate(t, "alice", p)
	b1 := e.mustCreate(t, "bob", p)
	twin := sameShardUser(t, "alice")
	m1 := e.mustCreate(t, twin, p)

	if err := e.store.Delete(e.ctx, "alice", a1.id()); err != nil {
		t.Fatalf("Delete(alice, a1): %v", err)
	}
	_, err := e.store.Touch(e.ctx, a1.tok, p)
	wantErr(t, "Touch(deleted)", err, session.ErrNotFound)
	if got := e.listIDs(t, "alice"); !equalStrings(got, []string{a2.id()}) {
		t.Errorf("List(alice) after Delete = %v, want [%s]", got, a2.id())
	}
	wantErr(t, "Delete(alice, a1) again", e.store.Delete(e.ctx, "alice", a1.id()), session.ErrNotFound)
	wantErr(t, "Delete(alice, unknown)", e.store.Delete(e.ctx, "alice", newToken(t, "alice").ID()), session.ErrNotFound)

	// A user cannot delete someone else's session, whether or not the two share a hash slot.
	wantErr(t, "Delete(alice, bob's id)", e.store.Delete(e.ctx, "alice", b1.id()), session.ErrNotFound)
	wantErr(t, "Delete(alice, same-shard user's id)", e.store.Delete(e.ctx, "alice", m1.id()), session.ErrNotFound)
	wantErr(t, "Delete(same-shard user, alice's id)", e.store.Delete(e.ctx, twin, a2.id()), session.ErrNotFound)
	e.touchOK(t, b1.tok, p)
	e.touchOK(t, m1.tok, p)
	e.touchOK(t, a2.tok, p)
	if got := e.listIDs(t, twin); !equalStrings(got, []string{m1.id()}) {
		t.Errorf("List(%s) = %v, want [%s]", twin, got, m1.id())
	}
}

func testDeleteAllKeepingOne(t *testing.T, e env) {
	p := session.Policy{IdleTimeout: time.Hour, AbsoluteLifetime: 8 * time.Hour, MaxPerUser: 10}
	var all []created
	for range 4 {
		all = append(all, e.mustCreate(t, "alice", p))
	}
	bob := e.mustCreate(t, "bob", p)
	twin := e.mustCreate(t, sameShardUser(t, "alice"), p)

	removed, err := e.store.DeleteAll(e.ctx, "alice", all[1].id())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{all[0].id(), all[2].id(), all[3].id()}; !equalStrings(removed, want) {
		t.Errorf("DeleteAll(keep all[1]) = %v, want %v", removed, want)
	}
	for _, i := range []int{0, 2, 3} {
		_, err := e.store.Touch(e.ctx, all[i].tok, p)
		wantErr(t, "Touch(revoked)", err, session.ErrNotFound)
	}
	e.touchOK(t, all[1].tok, p)
	if got := e.listIDs(t, "alice"); !equalStrings(got, []string{all[1].id()}) {
		t.Errorf("List after DeleteAll = %v, want [%s]", got, all[1].id())
	}
	e.touchOK(t, bob.tok, p)
	e.touchOK(t, twin.tok, p)

	removed, err = e.store.DeleteAll(e.ctx, "alice", "")
	if err != nil || !equalStrings(removed, []string{all[1].id()}) {
		t.Errorf("DeleteAll(keep none) = %v, %v; want [%s]", removed, err, all[1].id())
	}
	if n, _, err := e.store.Count(e.ctx, "alice"); err != nil || n != 0 {
		t.Errorf("Count after DeleteAll = %d, %v; want 0", n, err)
	}
	removed, err = e.store.DeleteAll(e.ctx, "alice", "")
	if err != nil || len(removed) != 0 {
		t.Errorf("DeleteAll with nothing left = %v, %v; want none", removed, err)
	}
	e.touchOK(t, twin.tok, p)
}

func testUpdate(t *testing.T, e env) {
	p := testPolicy
	c := e.mustCreate(t, "alice", p)
	e.touchOK(t, c.tok, p)
	dark, en := "dark", "en"
	got, err := e.store.Update(e.ctx, "alice", c.id(), map[string]*string{"theme": &dark, "lang": &en})
	if err != nil {
		t.Fatalf("Update(set): %v", err)
	}
	if want := map[string]string{"theme": "dark", "lang": "en"}; !maps.Equal(got.Data, want) {
		t.Errorf("Update(set) data = %v, want %v", got.Data, want)
	}
	if got.ID != c.id() || got.UserID != "alice" || got.IP != c.sess.IP || len(got.Device) != 3 || got.ActivityCount != 1 {
		t.Errorf("Update(set) = %+v, want the rest of the session unchanged", got)
	}

	light := "light"
	got, err = e.store.Update(e.ctx, "alice", c.id(), map[string]*string{"theme": &light, "lang": nil, "absent": nil})
	if err != nil {
		t.Fatalf("Update(set and delete): %v", err)
	}
	if want := map[string]string{"theme": "light"}; !maps.Equal(got.Data, want) {
		t.Errorf("Update(set and delete) data = %v, want %v", got.Data, want)
	}
	// The data is stored, not only echoed back, and does not collide with the session's own fields.
	uid, ip := "mallory", "0.0.0.0"
	if _, err := e.store.Update(e.ctx, "alice", c.id(), map[string]*string{"uid": &uid, "ip": &ip}); err != nil {
		t.Fatalf("Update(uid, ip): %v", err)
	}
	read, err := e.store.Get(e.ctx, "alice", c.id())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"theme": "light", "uid": "mallory", "ip": "0.0.0.0"}; !maps.Equal(read.Data, want) {
		t.Errorf("Get data = %v, want %v", read.Data, want)
	}
	if read.UserID != "alice" || read.IP != c.sess.IP {
		t.Errorf("Get after Update(uid, ip) = user %q ip %q, want the session's own", read.UserID, read.IP)
	}

	_, err = e.store.Update(e.ctx, "alice", newToken(t, "alice").ID(), map[string]*string{"theme": &dark})
	wantErr(t, "Update(unknown)", err, session.ErrNotFound)
	_, err = e.store.Update(e.ctx, sameShardUser(t, "alice"), c.id(), map[string]*string{"theme": &dark})
	wantErr(t, "Update(another user's session)", err, session.ErrNotFound)

	e.clock.Advance(p.IdleTimeout)
	_, err = e.store.Update(e.ctx, "alice", c.id(), map[string]*string{"theme": &dark})
	wantErr(t, "Update(expired)", err, session.ErrNotFound)
}

func testRotate(t *testing.T, e env) {
	p := testPolicy
	first := e.mustCreate(t, "alice", p)
	e.clock.Advance(time.Minute)
	c := e.mustCreate(t, "alice", p)
	e.clock.Advance(time.Minute)
	last := e.mustCreate(t, "alice", p)
	e.touchOK(t, c.tok, p)
	e.touchOK(t, c.tok, p)
	role := "admin"
	if _, err := e.store.Update(e.ctx, "alice", c.id(), map[string]*string{"role": &role}); err != nil {
		t.Fatal(err)
	}
	before, err := e.store.Get(e.ctx, "alice", c.id())
	if err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(time.Minute)
	newTok := newToken(t, "alice")
	got, err := e.store.Rotate(e.ctx, "alice", c.id(), newTok)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if got.ID != newTok.ID() || got.ID == c.id() {
		t.Errorf("Rotate ID = %s, want the new token's %s", got.ID, newTok.ID())
	}
	if got.UserID != "alice" || got.IP != before.IP || len(got.Device) != 3 || got.Data["role"] != "admin" || got.ActivityCount != 2 {
		t.Errorf("Rotate = %+v, want fields and activity of %+v", got, before)
	}
	wantTime(t, "Rotate CreatedAt", got.CreatedAt, before.CreatedAt)
	wantTime(t, "Rotate LastActivity", got.LastActivity, before.LastActivity)
	wantTime(t, "Rotate AbsExpiresAt", got.AbsExpiresAt, before.AbsExpiresAt)

	_, err = e.store.Touch(e.ctx, c.tok, p)
	wantErr(t, "Touch(old token)", err, session.ErrNotFound)
	_, err = e.store.Get(e.ctx, "alice", c.id())
	wantErr(t, "Get(old id)", err, session.ErrNotFound)
	if touched := e.touchOK(t, newTok, p); touched.ActivityCount != 3 || touched.Data["role"] != "admin" {
		t.Errorf("Touch(new token) = %+v, want activity 3 and the data", touched)
	}
	if got, want := e.listIDs(t, "alice"), []string{first.id(), newTok.ID(), last.id()}; !equalStrings(got, want) {
		t.Errorf("List after Rotate = %v, want the rotated session in its old place %v", got, want)
	}

	_, err = e.store.Rotate(e.ctx, "alice", c.id(), newToken(t, "alice"))
	wantErr(t, "Rotate(old id) again", err, session.ErrNotFound)
	_, err = e.store.Rotate(e.ctx, "alice", newToken(t, "alice").ID(), newToken(t, "alice"))
	wantErr(t, "Rotate(unknown)", err, session.ErrNotFound)

	// A rotated session still ends when its idle time runs out.
	e.clock.Advance(p.IdleTimeout)
	_, err = e.store.Rotate(e.ctx, "alice", newTok.ID(), newToken(t, "alice"))
	wantErr(t, "Rotate(expired)", err, session.ErrNotFound)
	_, err = e.store.Touch(e.ctx, newTok, p)
	wantErr(t, "Touch(rotated, idle)", err, session.ErrExpired)
}

func testRotateRejectsOtherUser(t *testing.T, e env) {
	p := testPolicy
	c := e.mustCreate(t, "alice", p)
	bob := otherShardUser(t, "alice")

	// A token drawn for another user cannot take over alice's session.
	bobTok := newToken(t, bob)
	if _, err := e.store.Rotate(e.ctx, "alice", c.id(), bobTok); !errorsIsAny(err, session.ErrInvalid, session.ErrNotFound) {
		t.Errorf("Rotate(alice, id, bob's token) = %v, want ErrInvalid or ErrNotFound", err)
	}
	_, err := e.store.Touch(e.ctx, bobTok, p)
	wantErr(t, "Touch(bob's token after rejected rotate)", err, session.ErrNotFound)

	// Nor can another user rotate alice's session to a token of their own, even in alice's hash slot.
	twin := sameShardUser(t, "alice")
	twinTok := newToken(t, twin)
	_, err = e.store.Rotate(e.ctx, twin, c.id(), twinTok)
	wantErr(t, "Rotate(twin, alice's id, twin's token)", err, session.ErrNotFound)
	_, err = e.store.Touch(e.ctx, twinTok, p)
	wantErr(t, "Touch(twin's token after rejected rotate)", err, session.ErrNotFound)
	_, err = e.store.Rotate(e.ctx, bob, c.id(), newToken(t, bob))
	wantErr(t, "Rotate(bob, alice's id, bob's token)", err, session.ErrNotFound)

	// alice's session is untouched by all of it.
	if got := e.touchOK(t, c.tok, p); got.ActivityCount != 1 || got.UserID != "alice" {
		t.Errorf("Touch(alice) = %+v, want activity 1", got)
	}
	if got := e.listIDs(t, "alice"); !equalStrings(got, []string{c.id()}) {
		t.Errorf("List(alice) = %v, want [%s]", got, c.id())
	}
	if n, _, err := e.store.Count(e.ctx, twin); err != nil || n != 0 {
		t.Errorf("Count(%s) = %d, %v; want 0", twin, n, err)
	}
}
