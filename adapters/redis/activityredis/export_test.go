package activityredis

// FeedKey gives the tests in package activityredis_test, which inspect Redis directly, the key of a user's
// feed without copying the layout of keys.go.
func FeedKey(prefix, userID string) string { return newKeys(prefix).feed(userID) }

// SessionKey is the key of one session's replay.
func SessionKey(prefix, userID, sessionID string) string {
	return newKeys(prefix).session(userID, sessionID)
}

// GlobalKey is the key of the global feed.
func GlobalKey(prefix string) string { return newKeys(prefix).global() }
