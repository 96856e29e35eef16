package boot

import (
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/ratelimit"
)

func TestLoadRateLimitDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	rl := cfg.RateLimit
	if p, ok := rl.App.Rules.Match("GET /v1/session", ratelimit.KindIP); !ok || p.Name != "ip" {
		t.Errorf("default rules for an IP caller: %q %t, want ip", p.Name, ok)
	}
	if p, ok := rl.App.Rules.Match("GET /v1/session", ratelimit.KindKey); !ok || p.Name != "default" {
		t.Errorf("default rules for a key: %q %t, want default", p.Name, ok)
	}
	if rl.App.Timeout != 100*time.Millisecond || rl.App.DeniedSample != 0.01 {
		t.Errorf("app config = %+v", rl.App)
	}
	if rl.Store.MaxBatch != 128 || rl.Store.Window != 0 || rl.Store.DenyCache != 10000 || rl.Store.Validate() != nil {
		t.Errorf("store config = %+v", rl.Store)
	}
}

func TestLoadRateLimitValues(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"STATEKIT_RATE_LIMITS":              "login: route=\"POST /v1/x\" fixed_window 5/m fail=closed\ndefault: sliding_log 10/s",
		"STATEKIT_RATE_LIMIT_TIMEOUT":       "250ms",
		"STATEKIT_RATE_LIMIT_DENIED_SAMPLE": "1",
		"STATEKIT_RATE_LIMIT_BATCH":         "1",
		"STATEKIT_RATE_LIMIT_BATCH_WINDOW":  "100us",
		"STATEKIT_RATE_LIMIT_DENY_CACHE":    "0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	rl := cfg.RateLimit
	if p, ok := rl.App.Rules.Lookup("login"); !ok || p.Failure != ratelimit.FailClosed {
		t.Errorf("login = %+v %t", p, ok)
	}
	if rl.App.Timeout != 250*time.Millisecond || rl.App.DeniedSample != 1 || rl.Store.MaxBatch != 1 ||
		rl.Store.Window != 100*time.Microsecond || rl.Store.DenyCache != 0 || rl.Store.Timeout != time.Second {
		t.Errorf("config = %+v", rl)
	}
	off, err := Load(env(map[string]string{"STATEKIT_RATE_LIMITS": "off"}))
	if err != nil || !off.RateLimit.App.Rules.Empty() {
		t.Errorf("STATEKIT_RATE_LIMITS=off: %v, rules %v", err, off.RateLimit.App.Rules)
	}
}

// TestLoadRateLimitNamesTheVariable: invalid policy text or tuning stops start-up with a message naming
// the variable (and, for the policies, the rule).
func TestLoadRateLimitNamesTheVariable(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"STATEKIT_RATE_LIMITS", "default: gcra 0/s", "count 0"},
		{"STATEKIT_RATE_LIMITS", "login: fixed_window 5/m", "no route= or kind="},
		{"STATEKIT_RATE_LIMITS", "default: leaky_bucket 5/m", "rule 1"},
		{"STATEKIT_RATE_LIMIT_TIMEOUT", "soon", "not a positive duration"},
		{"STATEKIT_RATE_LIMIT_TIMEOUT", "0s", "not a positive duration"},
		{"STATEKIT_RATE_LIMIT_TIMEOUT", "1m", "at most 10s"},
		{"STATEKIT_RATE_LIMIT_DENIED_SAMPLE", "often", "not a number"},
		{"STATEKIT_RATE_LIMIT_DENIED_SAMPLE", "2", "between 0 and 1"},
		{"STATEKIT_RATE_LIMIT_BATCH", "0", "between 1 and 10000"},
		{"STATEKIT_RATE_LIMIT_BATCH", "-3", "non-negative"},
		{"STATEKIT_RATE_LIMIT_BATCH_WINDOW", "1s", "between 0 and 10ms"},
		{"STATEKIT_RATE_LIMIT_DENY_CACHE", "lots", "non-negative"},
	} {
		_, err := Load(env(map[string]string{c.name: c.value}))
		if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%q: err = %v, want it to name the variable and say %q", c.name, c.value, err, c.want)
		}
	}
}
