package cacheredis

import (
	"strconv"

	"github.com/statekit/statekit/domain/cache"
)

// Key layout:
//
//	<prefix>:cache:{<namespace>}:gen                    string: the namespace's generation
//	<prefix>:cache:{<namespace>:<generation>:<key>}     string: an encoded cache.Entry, PX = its expiry
//	<prefix>:cache:{<namespace>:<generation>:<key>}:lk  string: the entry's load lock (a token), PX = lock TTL
//
// The generation is part of every entry key, so bumping it orphans the whole namespace in one command. Each
// entry hashes on its own (its whole name is the tag), spreading a namespace over the cluster, and shares its
// slot with its lock so acquire and fill are single-slot scripts. Namespaces and keys are validated by the
// domain (no ':', '{', '}' or '*'), so they cannot end a tag or run into the next part.
type keys struct {
	base string // "<prefix>:cache:"
}

func newKeys(prefix string) keys { return keys{base: prefix + ":cache:"} }

func (k keys) generation(ns string) string { return k.base + "{" + ns + "}:gen" }

// entry builds the entry key with a single allocation.
func (k keys) entry(r cache.Ref) string {
	var num [20]byte
	gen := strconv.AppendInt(num[:0], r.Generation, 10)
	b := make([]byte, 0, len(k.base)+len(r.Namespace)+len(gen)+len(r.Key)+4)
	b = append(b, k.base...)
	b = append(b, '{')
	b = append(b, r.Namespace...)
	b = append(b, ':')
	b = append(b, gen...)
	b = append(b, ':')
	b = append(b, r.Key...)
	b = append(b, '}')
	return string(b)
}

func lockOf(entry string) string { return entry + ":lk" }
