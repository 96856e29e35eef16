package boot

import (
	"fmt"
	"strconv"
	"time"

	"github.com/statekit/statekit/app/cacheapp"
)

// loadCache reads the STATEKIT_CACHE_* variables through get (which supplies defaults), reporting each bad
// value through bad.
func loadCache(get func(string) string, bad func(string, error)) cacheapp.Config {
	cfg := cacheapp.DefaultConfig()
	// Zero is meaningful for these (tier off, nothing remembered, no stale window), so they accept it.
	span := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < 0 {
			bad(name, fmt.Errorf("%q is not a duration such as 30s (0 allowed)", get(name)))
		}
		return d
	}
	count := func(name string) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n < 0 {
			bad(name, fmt.Errorf("%q is not a non-negative integer", get(name)))
		}
		return n
	}
	fraction := func(name string) float64 {
		f, err := strconv.ParseFloat(get(name), 64)
		if err != nil {
			bad(name, fmt.Errorf("%q is not a number", get(name)))
		}
		return f
	}
	cfg.L1Size = count("STATEKIT_CACHE_L1_SIZE")
	cfg.L1TTL = span("STATEKIT_CACHE_L1_TTL")
	cfg.Policy.TTL = span("STATEKIT_CACHE_TTL")
	cfg.Policy.NegativeTTL = span("STATEKIT_CACHE_NEGATIVE_TTL")
	cfg.Policy.StaleWhileRevalidate = span("STATEKIT_CACHE_STALE_WHILE_REVALIDATE")
	cfg.Policy.StaleIfError = span("STATEKIT_CACHE_STALE_IF_ERROR")
	cfg.Policy.Jitter = fraction("STATEKIT_CACHE_JITTER")
	cfg.Policy.Beta = fraction("STATEKIT_CACHE_XFETCH_BETA")
	cfg.LoadTimeout = span("STATEKIT_CACHE_LOAD_TIMEOUT")
	cfg.MaxLoads = count("STATEKIT_CACHE_MAX_LOADS")
	if err := cfg.Validate(); err != nil {
		bad("STATEKIT_CACHE_*", err)
	}
	return cfg
}
