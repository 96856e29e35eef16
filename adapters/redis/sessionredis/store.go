// Package sessionredis implements ports.SessionStore on Redis: one hash per session and one sorted set per
// user, both under the user's hash tag, changed only by the Lua scripts in lua/ (one round trip each).
package sessionredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/ports"
)

// Store is the Redis session store.
type Store struct {
	rdb   redis.UniversalClient
	keys  keys
	clock ports.Clock
}

var _ ports.SessionStore = (*Store)(nil)

// New returns a store on rdb whose keys start with prefix. With a nil clock the scripts read Redis server
// time; a clock (tests) makes them use its time instead, so idle and absolute limits can be simulated.
func New(rdb redis.UniversalClient, prefix string, clock ports.Clock) *Store {
	return &Store{rdb: rdb, keys: newKeys(prefix), clock: clock}
}

func (s *Store) now() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now().UnixMilli()
}

// Create runs create.lua: one round trip.
func (s *Store) Create(ctx context.Context, tok session.Token, in session.NewSession, p session.Policy) (session.Session, []session.Ended, error) {
	device, err := json.Marshal(in.Device)
	if err != nil {
		return session.Session{}, nil, fmt.Errorf("create session: %w", err)
	}
	shard, id := tok.Shard(), tok.ID()
	res, err := createScript.Run(ctx, s.rdb,
		[]string{s.keys.session(shard, id), s.keys.user(shard, in.UserID)},
		id, in.UserID, in.IP, device, p.IdleTimeout.Milliseconds(), p.AbsoluteLifetime.Milliseconds(),
		p.MaxPerUser, s.keys.sessionPrefix(shard), s.now()).Slice()
	if err != nil {
		return session.Session{}, nil, rdb.Wrap("create session", err)
	}
	if len(res) != 3 {
		return session.Session{}, nil, fmt.Errorf("create session: unexpected reply %v", res)
	}
	now := time.UnixMilli(res[0].(int64))
	ended := endedList(in.UserID, res[1], session.EndExpired)
	ended = append(ended, endedList(in.UserID, res[2], session.EndEvicted)...)
	return session.Session{
		ID: id, UserID: in.UserID, IP: in.IP, Device: in.Device, Data: map[string]string{},
		CreatedAt: now, LastActivity: now,
		IdleExpiresAt: now.Add(p.IdleTimeout), AbsExpiresAt: now.Add(p.AbsoluteLifetime),
	}, ended, nil
}

// Touch runs touch.lua recording activity: one round trip.
func (s *Store) Touch(ctx context.Context, tok session.Token, p session.Policy) (session.Session, error) {
	return s.read(ctx, tok.Shard(), tok.ID(), "", p.IdleTimeout, true)
}

// Get runs touch.lua without recording activity: one round trip.
func (s *Store) Get(ctx context.Context, userID, id string) (session.Session, error) {
	return s.read(ctx, session.Shard(userID), id, userID, 0, false)
}

func (s *Store) read(ctx context.Context, shard, id, userID string, idle time.Duration, activity bool) (session.Session, error) {
	flag := "0"
	if activity {
		flag = "1"
	}
	res, err := touchScript.Run(ctx, s.rdb, []string{s.keys.session(shard, id)},
		s.now(), idle.Milliseconds(), flag, userID, s.keys.userPrefix(shard), id).Slice()
	if err != nil {
		return session.Session{}, rdb.Wrap("read session", err)
	}
	switch code := res[0].(int64); code {
	case 0:
		return session.Session{}, session.ErrNotFound
	case 1:
		return session.Session{ID: id, UserID: res[1].(string)}, session.ErrExpired
	default:
		return decode(id, res[1:])
	}
}

// List runs list.lua: one round trip.
func (s *Store) List(ctx context.Context, userID string) ([]session.Session, []session.Ended, error) {
	res, err := s.list(ctx, userID, true)
	if err != nil {
		return nil, nil, err
	}
	out := make([]session.Session, 0, len(res)-1)
	for _, item := range res[1:] {
		pair, ok := item.([]any)
		if !ok || len(pair) != 2 {
			return nil, nil, fmt.Errorf("list sessions: unexpected reply %v", item)
		}
		fields, _ := pair[1].([]any)
		sess, err := decode(pair[0].(string), fields)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, sess)
	}
	return out, endedList(userID, res[0], session.EndExpired), nil
}

// Count runs list.lua in count mode: one round trip.
func (s *Store) Count(ctx context.Context, userID string) (int, []session.Ended, error) {
	res, err := s.list(ctx, userID, false)
	if err != nil {
		return 0, nil, err
	}
	n, _ := res[1].(int64)
	return int(n), endedList(userID, res[0], session.EndExpired), nil
}

func (s *Store) list(ctx context.Context, userID string, full bool) ([]any, error) {
	mode := "0"
	if full {
		mode = "1"
	}
	shard := session.Shard(userID)
	res, err := listScript.Run(ctx, s.rdb, []string{s.keys.user(shard, userID)},
		s.now(), s.keys.sessionPrefix(shard), mode).Slice()
	if err != nil {
		return nil, rdb.Wrap("list sessions", err)
	}
	return res, nil
}

// Delete runs delete.lua: one round trip.
func (s *Store) Delete(ctx context.Context, userID, id string) error {
	shard := session.Shard(userID)
	n, err := deleteScript.Run(ctx, s.rdb, []string{s.keys.session(shard, id), s.keys.user(shard, userID)},
		id, userID).Int()
	if err != nil {
		return rdb.Wrap("delete session", err)
	}
	if n == 0 {
		return session.ErrNotFound
	}
	return nil
}

// DeleteAll runs delete_all.lua: one round trip.
func (s *Store) DeleteAll(ctx context.Context, userID, keepID string) ([]string, error) {
	shard := session.Shard(userID)
	ids, err := deleteAllScript.Run(ctx, s.rdb, []string{s.keys.user(shard, userID)},
		keepID, s.keys.sessionPrefix(shard)).StringSlice()
	if err != nil {
		return nil, rdb.Wrap("delete sessions", err)
	}
	return ids, nil
}

// Update runs update.lua: one round trip.
func (s *Store) Update(ctx context.Context, userID, id string, fields map[string]*string) (session.Session, error) {
	shard := session.Shard(userID)
	args := make([]any, 0, 2+3*len(fields))
	args = append(args, userID, s.now())
	for name, v := range fields {
		if v == nil {
			args = append(args, name, "d", "")
		} else {
			args = append(args, name, "s", *v)
		}
	}
	res, err := updateScript.Run(ctx, s.rdb, []string{s.keys.session(shard, id)}, args...).Slice()
	if err != nil {
		return session.Session{}, rdb.Wrap("update session", err)
	}
	if res[0].(int64) == 0 {
		return session.Session{}, session.ErrNotFound
	}
	return decode(id, res[1:])
}

// Rotate runs rotate.lua: one round trip. newTok must have been drawn for the same user.
func (s *Store) Rotate(ctx context.Context, userID, id string, newTok session.Token) (session.Session, error) {
	shard := session.Shard(userID)
	if newTok.Shard() != shard {
		return session.Session{}, fmt.Errorf("%w: new token belongs to another user", session.ErrInvalid)
	}
	newID := newTok.ID()
	res, err := rotateScript.Run(ctx, s.rdb,
		[]string{s.keys.session(shard, id), s.keys.session(shard, newID), s.keys.user(shard, userID)},
		userID, id, newID, s.now()).Slice()
	if err != nil {
		return session.Session{}, rdb.Wrap("rotate session", err)
	}
	if res[0].(int64) == 0 {
		return session.Session{}, session.ErrNotFound
	}
	return decode(newID, res[1:])
}

// decode turns a session hash (flat field/value list) into a Session.
func decode(id string, flat []any) (session.Session, error) {
	if len(flat)%2 != 0 {
		return session.Session{}, fmt.Errorf("decode session: odd field list")
	}
	sess := session.Session{ID: id, Data: map[string]string{}}
	var err error
	for i := 0; i < len(flat); i += 2 {
		name, _ := flat[i].(string)
		value, _ := flat[i+1].(string)
		switch {
		case name == "uid":
			sess.UserID = value
		case name == "ip":
			sess.IP = value
		case name == "dev":
			err = errors.Join(err, json.Unmarshal([]byte(value), &sess.Device))
		case name == "c":
			sess.CreatedAt, err = millis(value, err)
		case name == "la":
			sess.LastActivity, err = millis(value, err)
		case name == "ie":
			sess.IdleExpiresAt, err = millis(value, err)
		case name == "ae":
			sess.AbsExpiresAt, err = millis(value, err)
		case name == "n":
			n, perr := strconv.ParseInt(value, 10, 64)
			sess.ActivityCount, err = n, errors.Join(err, perr)
		case strings.HasPrefix(name, "x:"):
			sess.Data[name[2:]] = value
		}
	}
	if err != nil {
		return session.Session{}, fmt.Errorf("decode session: %w", err)
	}
	if sess.UserID == "" {
		return session.Session{}, session.ErrNotFound
	}
	return sess, nil
}

func millis(v string, prev error) (time.Time, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	return time.UnixMilli(n), errors.Join(prev, err)
}

func endedList(userID string, ids any, reason session.EndReason) []session.Ended {
	list, _ := ids.([]any)
	out := make([]session.Ended, 0, len(list))
	for _, id := range list {
		out = append(out, session.Ended{SessionID: id.(string), UserID: userID, Reason: reason})
	}
	return out
}
