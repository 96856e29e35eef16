package activityredis

// Key layout. A user's keys share the hash tag {u.<user id>}, so the record script touches one slot; the
// global feed and its idempotency markers share {g}. The "u." keeps a user named "g" apart from it.
//
//	<prefix>:activity:{u.<user id>}:feed               stream: the user's feed, capped, PEXPIRE retention
//	<prefix>:activity:{u.<user id>}:s:<session id>     stream: one session's replay, capped, PEXPIRE retention
//	<prefix>:activity:{u.<user id>}:k:<activity id>    string: idempotency marker -> feed entry id, PX dedupe window
//	<prefix>:activity:{u.<user id>}:d:<detector>       sorted set: the detector's window, entry id by ms
//	<prefix>:activity:{u.<user id>}:df:<detector>      string: the detector fired, PX its window
//	<prefix>:activity:{g}:feed                         stream: every user's activities, capped (approximately)
//	<prefix>:activity:{g}:k:<user id>:<activity id>    string: idempotency marker, PX dedupe window
//
// Ids and detector names are validated by the domain (no ':', '{', '}' or '*') before they get here.
type keys struct {
	base string // "<prefix>:activity"
}

func newKeys(prefix string) keys { return keys{base: prefix + ":activity"} }

func (k keys) user(userID string) string { return k.base + ":{u." + userID + "}" }

func (k keys) feed(userID string) string { return k.user(userID) + ":feed" }

func (k keys) session(userID, sessionID string) string { return k.user(userID) + ":s:" + sessionID }

func (k keys) marker(userID, id string) string { return k.user(userID) + ":k:" + id }

func (k keys) detector(userID, name string) string { return k.user(userID) + ":d:" + name }

func (k keys) fired(userID, name string) string { return k.user(userID) + ":df:" + name }

func (k keys) global() string { return k.base + ":{g}:feed" }

func (k keys) globalMarker(userID, id string) string { return k.base + ":{g}:k:" + userID + ":" + id }
