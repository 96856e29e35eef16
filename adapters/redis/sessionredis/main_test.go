package sessionredis_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/sessionredis"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// epoch is where every simulated clock starts: far from the zero time, which the scripts read as "use TIME".
var epoch = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

func newFakeClock() *fakeclock.Clock { return fakeclock.New(epoch) }

// testPolicy is small enough that cap tests stay short and long enough that no real TTL runs out mid-test.
var testPolicy = session.Policy{IdleTimeout: 30 * time.Minute, AbsoluteLifetime: 8 * time.Hour, MaxPerUser: 3}

// env is one contract test's store on its own key prefix with its own simulated clock.
type env struct {
	ctx   context.Context
	store ports.SessionStore
	clock *fakeclock.Clock
	tg    harness.Target
}

func newEnv(t *testing.T, tg harness.Target) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	clock := newFakeClock()
	return env{ctx: ctx, store: sessionredis.New(tg.Client, tg.Prefix, clock), clock: clock, tg: tg}
}

// created is one session made by a test, with the token that unlocks it.
type created struct {
	tok  session.Token
	sess session.Session
}

func (c created) id() string { return c.sess.ID }

func newToken(t testing.TB, userID string) session.Token {
	t.Helper()
	tok, err := session.NewToken(userID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// create stores a session for userID under p and returns it with what Create reported as ended.
func (e env) create(t *testing.T, userID string, p session.Policy) (created, []session.Ended) {
	t.Helper()
	tok := newToken(t, userID)
	in := session.NewSession{
		UserID: userID, IP: "203.0.113.9",
		Device: map[string]string{"os": "linux", "browser": "firefox", "kind": "desktop"},
	}
	sess, ended, err := e.store.Create(e.ctx, tok, in, p)
	if err != nil {
		t.Fatalf("Create(%s): %v", userID, err)
	}
	return created{tok: tok, sess: sess}, ended
}

// mustCreate is create when nothing may end on the way.
func (e env) mustCreate(t *testing.T, userID string, p session.Policy) created {
	t.Helper()
	c, ended := e.create(t, userID, p)
	if len(ended) != 0 {
		t.Fatalf("Create(%s) ended %+v, want none", userID, ended)
	}
	return c
}

func (e env) touchOK(t *testing.T, tok session.Token, p session.Policy) session.Session {
	t.Helper()
	s, err := e.store.Touch(e.ctx, tok, p)
	if err != nil {
		t.Fatalf("Touch(%s) at +%s: %v", tok.ID(), e.elapsed(), err)
	}
	return s
}

func (e env) elapsed() time.Duration { return e.clock.Now().Sub(epoch) }

// listIDs returns the ids List reports, in order, failing the test if it reports any ended sessions.
func (e env) listIDs(t *testing.T, userID string) []string {
	t.Helper()
	list, ended, err := e.store.List(e.ctx, userID)
	if err != nil {
		t.Fatalf("List(%s): %v", userID, err)
	}
	if len(ended) != 0 {
		t.Fatalf("List(%s) ended %+v, want none", userID, ended)
	}
	return ids(list)
}

func ids(list []session.Session) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s (%+v)", what, got.UTC(), want.UTC(), got.Sub(want))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantEnded(t *testing.T, what string, got []session.Ended, userID string, reason session.EndReason, wantIDs ...string) {
	t.Helper()
	want := make([]session.Ended, len(wantIDs))
	for i, id := range wantIDs {
		want[i] = session.Ended{SessionID: id, UserID: userID, Reason: reason}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
		t.Errorf("%s ended %+v, want %+v", what, got, want)
	}
}

// sameShardUser finds a user id other than userID whose sessions share userID's hash slot, so ownership checks
// are tested inside the scripts rather than passing because the other user's keys simply differ.
func sameShardUser(t testing.TB, userID string) string {
	t.Helper()
	if u, ok := twins.Load(userID); ok {
		return u.(string)
	}
	want := session.Shard(userID)
	for i := range 10_000_000 {
		u := fmt.Sprintf("mallory-%d", i)
		if u != userID && session.Shard(u) == want {
			twins.Store(userID, u)
			return u
		}
	}
	t.Fatalf("no user shares shard %s with %s", want, userID)
	return ""
}

var twins sync.Map // user id -> another user id with the same shard

// otherShardUser returns a user id whose shard differs from userID's.
func otherShardUser(t testing.TB, userID string) string {
	t.Helper()
	for i := range 100 {
		u := fmt.Sprintf("bob-%d", i)
		if session.Shard(u) != session.Shard(userID) {
			return u
		}
	}
	t.Fatalf("no user with a shard other than %s's", userID)
	return ""
}

func errorsIsExpired(err error) bool { return errors.Is(err, session.ErrExpired) }

func errorsIsAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
