package sessionredis

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/session"
)

// The decoders of the scripts' replies: each checks the reply's shape and returns an error wrapping
// reply.ErrBadReply when it is not the one its script returns.

// createReply reads create.lua's {now ms, {expired ids}, {evicted ids}}.
func createReply(userID string, res any) (time.Time, []session.Ended, error) {
	d := reply.New("create session")
	a := d.Exactly(res, 3)
	now := time.UnixMilli(d.Int64(a[0]))
	ended := endedList(&d, userID, a[1], session.EndExpired)
	ended = append(ended, endedList(&d, userID, a[2], session.EndEvicted)...)
	return now, ended, d.Err()
}

// readReply reads touch.lua's {0} (absent), {1, user id} (expired) or {2, field, value, ...}.
func readReply(id string, res any) (session.Session, error) {
	d := reply.New("read session")
	a := d.Array(res, 1)
	switch code := d.Int64(a[0]); {
	case d.Err() != nil:
		return session.Session{}, d.Err()
	case code == 0:
		return session.Session{}, session.ErrNotFound
	case code == 1:
		uid := d.String(d.Array(res, 2)[1])
		if d.Err() != nil {
			return session.Session{}, d.Err()
		}
		return session.Session{ID: id, UserID: uid}, session.ErrExpired
	default:
		return decode(&d, id, a[1:])
	}
}

// listReply reads list.lua's {{expired ids}, {id, {field, value, ...}}, ...}.
func listReply(userID string, res any) ([]session.Session, []session.Ended, error) {
	d := reply.New("list sessions")
	a := d.Array(res, 1)
	out := make([]session.Session, 0, len(a)-1)
	for _, item := range a[1:] {
		pair := d.Exactly(item, 2)
		sess, err := decode(&d, d.String(pair[0]), pair[1])
		if err != nil {
			return nil, nil, err
		}
		out = append(out, sess)
	}
	ended := endedList(&d, userID, a[0], session.EndExpired)
	if err := d.Err(); err != nil {
		return nil, nil, err
	}
	return out, ended, nil
}

// countReply reads list.lua's {{expired ids}, count}.
func countReply(userID string, res any) (int, []session.Ended, error) {
	d := reply.New("count sessions")
	a := d.Exactly(res, 2)
	n := d.Int(a[1])
	ended := endedList(&d, userID, a[0], session.EndExpired)
	if err := d.Err(); err != nil {
		return 0, nil, err
	}
	return n, ended, nil
}

// foundReply reads the reply {0} (no such session) or {code, field, value, ...} (the session as it is now)
// of the script named op.
func foundReply(op, id string, res any) (session.Session, error) {
	d := reply.New(op)
	a := d.Array(res, 1)
	if code := d.Int64(a[0]); d.Err() != nil {
		return session.Session{}, d.Err()
	} else if code == 0 {
		return session.Session{}, session.ErrNotFound
	}
	return decode(&d, id, a[1:])
}

// decode turns a session hash (flat field/value list) into a Session.
func decode(d *reply.Decoder, id string, fields any) (session.Session, error) {
	flat := d.Pairs(fields)
	if err := d.Err(); err != nil {
		return session.Session{}, err
	}
	sess := session.Session{ID: id, Data: map[string]string{}}
	var err error
	for i := 0; i < len(flat); i += 2 {
		name, value := flat[i], flat[i+1]
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

func endedList(d *reply.Decoder, userID string, ids any, reason session.EndReason) []session.Ended {
	list := d.Strings(ids)
	out := make([]session.Ended, 0, len(list))
	for _, id := range list {
		out = append(out, session.Ended{SessionID: id, UserID: userID, Reason: reason})
	}
	return out
}
