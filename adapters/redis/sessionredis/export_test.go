package sessionredis

import "github.com/statekit/statekit/domain/session"

// SessionKey and IndexKey give the tests in package sessionredis_test, which inspect Redis directly, the key
// names the store uses, without copying the layout of keys.go.
func SessionKey(prefix, userID, id string) string {
	return newKeys(prefix).session(session.Shard(userID), id)
}

// IndexKey is the key of a user's index of sessions.
func IndexKey(prefix, userID string) string {
	shard := session.Shard(userID)
	return newKeys(prefix).user(shard, userID)
}
