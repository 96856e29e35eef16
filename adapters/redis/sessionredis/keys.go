package sessionredis

// Key layout (all keys of one user share the hash tag {shard}, so every script stays in one slot):
//
//	<prefix>:session:{<shard>}:s:<session id>   hash: one session
//	<prefix>:session:{<shard>}:u:<user id>      sorted set: the user's session ids in creation order
//
// shard is session.Shard(user id); session ids and user ids are validated by the domain before they get here.
type keys struct {
	base string // "<prefix>:session"
}

func newKeys(prefix string) keys { return keys{base: prefix + ":session"} }

func (k keys) slot(shard string) string { return k.base + ":{" + shard + "}" }

func (k keys) sessionPrefix(shard string) string { return k.slot(shard) + ":s:" }

func (k keys) userPrefix(shard string) string { return k.slot(shard) + ":u:" }

func (k keys) session(shard, id string) string { return k.sessionPrefix(shard) + id }

func (k keys) user(shard, userID string) string { return k.userPrefix(shard) + userID }
