package cacheredis

import "github.com/statekit/statekit/domain/cache"

// EntryKey and GenerationKey expose the key layout to the external tests, which look at keys directly.
func EntryKey(prefix string, r cache.Ref) string { return newKeys(prefix).entry(r) }

// GenerationKey is the namespace's generation key.
func GenerationKey(prefix, ns string) string { return newKeys(prefix).generation(ns) }
