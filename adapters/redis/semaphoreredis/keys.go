package semaphoreredis

// Key layout (the five keys of one pool share the hash tag {<pool>}, so every script touches one slot):
//
//	<prefix>:sem:{<pool>}      hash: cap (capacity), used (permits held)
//	<prefix>:sem:{<pool>}:h    zset: holder permit id -> lease end (ms)
//	<prefix>:sem:{<pool>}:n    hash: holder permit id -> weight
//	<prefix>:sem:{<pool>}:q    list: queued waiters' permit ids, oldest first
//	<prefix>:sem:{<pool>}:w    hash: waiter id -> "<entry end ms> <weight> <lease ms> <wake channel>"
//	<prefix>:sem:wake:<instance>  pub/sub channel (not a key) on which this process's waiters are woken
//
// Pool names are validated by the domain (no ':', '{', '}' or '*') before they get here.
type keys struct {
	base string // "<prefix>:sem"
}

func newKeys(prefix string) keys { return keys{base: prefix + ":sem"} }

func (k keys) pool(name string) []string {
	b := k.base + ":{" + name + "}"
	return []string{b, b + ":h", b + ":n", b + ":q", b + ":w"}
}

func (k keys) wakeBase() string { return k.base + ":wake" }
