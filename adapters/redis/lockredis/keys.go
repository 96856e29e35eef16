package lockredis

// Key layout (every key of one lock name shares the hash tag {<name>}, so each lock script touches one slot):
//
//	<prefix>:lock:{<name>}          string: the exclusive holder's token, PX = its lease
//	<prefix>:lock:{<name>}:r        zset: shared holders' tokens scored by lease end (ms)
//	<prefix>:lock:{<name>}:f        string: the last fence issued for the name, PX = fence retention
//	<prefix>:lock:{<name>}:q        list: queued waiters' tokens, oldest first
//	<prefix>:lock:{<name>}:w        hash: waiter token -> "<entry end ms> <x|s> <lease ms> <wake channel>"
//	<prefix>:lock:fenced:{<key>}    hash: a fenced value {v, f}
//	<prefix>:lock:wake:<instance>   pub/sub channel (not a key) on which this process's waiters are woken
//
// Names and fenced keys are validated by the domain (no ':', '{', '}' or '*') before they get here.
type keys struct {
	base string // "<prefix>:lock"
}

func newKeys(prefix string) keys { return keys{base: prefix + ":lock"} }

// lockKeys appends the five keys of a lock name in the order the scripts expect.
func (k keys) lockKeys(dst []string, name string) []string {
	b := k.base + ":{" + name + "}"
	return append(dst, b, b+":r", b+":f", b+":q", b+":w")
}

func (k keys) fenced(key string) string { return k.base + ":fenced:{" + key + "}" }

func (k keys) wakeBase() string { return k.base + ":wake" }

// keysPerLock is how many KEYS each lock name contributes to a script.
const keysPerLock = 5
