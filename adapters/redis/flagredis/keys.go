package flagredis

// Key layout. Every key of the module carries the hash tag {flags}, so every script sees all of them in one
// slot and works on Redis Cluster. The flag set is small (hundreds of flags, changed by people), read by
// each instance only when it changes, so one slot is no hot spot.
//
//	<prefix>:flag:{flags}:version      string: the flag set's version number, INCR on every change
//	<prefix>:flag:{flags}:keys         set: every flag key
//	<prefix>:flag:{flags}:f:<key>      hash: one flag (v format, def JSON, on, ver, by, at ms)
//	<prefix>:flag:{flags}:audit:<key>  sorted set: the flag's audit entries (JSON) scored by version
//	<prefix>:flag:{flags}:n:<key>      hash: evaluation counts, variant -> count
//
// Flag keys are validated by the domain (letters, digits, _ . -) before they get here.
type keys struct {
	base string // "<prefix>:flag:{flags}"
}

func newKeys(prefix string) keys { return keys{base: prefix + ":flag:{flags}"} }

func (k keys) version() string { return k.base + ":version" }

func (k keys) index() string { return k.base + ":keys" }

func (k keys) flagPrefix() string { return k.base + ":f:" }

func (k keys) flag(key string) string { return k.flagPrefix() + key }

func (k keys) audit(key string) string { return k.base + ":audit:" + key }

func (k keys) counts(key string) string { return k.base + ":n:" + key }
