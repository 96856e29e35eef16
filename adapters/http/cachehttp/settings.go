package cachehttp

import (
	"github.com/statekit/statekit/app/cacheapp"
	"github.com/statekit/statekit/app/contract"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_CACHE_L1_SIZE", Default: "10000",
		Meaning: "Entries each instance keeps in its in-process cache tier (W-TinyLFU eviction); `0` turns the tier off."},
	{Name: "STATEKIT_CACHE_L1_TTL", Default: "1m",
		Meaning: "Longest an entry stays in the in-process tier, and how often a namespace generation is re-read: an instance that misses a `cache.invalidated` event serves the old value for at most about this long."},
	{Name: "STATEKIT_CACHE_TTL", Default: "1h",
		Meaning: "Default time a cached value stays fresh (per-call TTLs override it)."},
	{Name: "STATEKIT_CACHE_NEGATIVE_TTL", Default: "30s",
		Meaning: "How long a loader's not-found is remembered; `0` does not remember it."},
	{Name: "STATEKIT_CACHE_STALE_WHILE_REVALIDATE", Default: "1m",
		Meaning: "After the TTL, how long a value is still served while one caller refreshes it in the background."},
	{Name: "STATEKIT_CACHE_STALE_IF_ERROR", Default: "10m",
		Meaning: "After the TTL, how long a value may stand in when a reload fails or is shed."},
	{Name: "STATEKIT_CACHE_JITTER", Default: "0.1",
		Meaning: "Largest random fraction (0 to 0.5) taken off each TTL so keys written together expire apart."},
	{Name: "STATEKIT_CACHE_XFETCH_BETA", Default: "1",
		Meaning: "XFetch early-refresh factor (larger refreshes earlier; `0` turns early refresh off)."},
	{Name: "STATEKIT_CACHE_LOAD_TIMEOUT", Default: "10s",
		Meaning: "Bound on one load; the cross-instance load lock is held as long."},
	{Name: "STATEKIT_CACHE_MAX_LOADS", Default: "64",
		Meaning: "Loads one instance runs at once; beyond it a load is shed (stale value, else 503 `cache-overloaded`)."},
}

// parseSettings reads the cache configuration. Zero is meaningful for most of these (a tier off, nothing
// remembered, no stale window), so they accept it.
func parseSettings(e *contract.Env) cacheapp.Config {
	cfg := cacheapp.DefaultConfig()
	cfg.L1Size = int(e.IntOrZero("STATEKIT_CACHE_L1_SIZE"))
	cfg.L1TTL = e.DurationOrZero("STATEKIT_CACHE_L1_TTL")
	cfg.Policy.TTL = e.DurationOrZero("STATEKIT_CACHE_TTL")
	cfg.Policy.NegativeTTL = e.DurationOrZero("STATEKIT_CACHE_NEGATIVE_TTL")
	cfg.Policy.StaleWhileRevalidate = e.DurationOrZero("STATEKIT_CACHE_STALE_WHILE_REVALIDATE")
	cfg.Policy.StaleIfError = e.DurationOrZero("STATEKIT_CACHE_STALE_IF_ERROR")
	cfg.Policy.Jitter = e.Float("STATEKIT_CACHE_JITTER")
	cfg.Policy.Beta = e.Float("STATEKIT_CACHE_XFETCH_BETA")
	cfg.LoadTimeout = e.DurationOrZero("STATEKIT_CACHE_LOAD_TIMEOUT")
	cfg.MaxLoads = int(e.IntOrZero("STATEKIT_CACHE_MAX_LOADS"))
	e.Check("STATEKIT_CACHE_*", cfg.Validate())
	return cfg
}
