package boot

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if !cfg.Redis.Embedded() || cfg.Redis.KeyPrefix != "statekit" || cfg.HTTP.Addr != ":8080" {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.Sessions.IdleTimeout != 30*time.Minute || cfg.Sessions.MaxPerUser != 10 || !cfg.HTTP.CookieSecure {
		t.Errorf("session/cookie defaults = %+v %v", cfg.Sessions, cfg.HTTP.CookieSecure)
	}
	if cfg.Bus.Prefix != "statekit" || len(cfg.HTTP.APIKeys) != 0 {
		t.Errorf("bus prefix %q, keys %d", cfg.Bus.Prefix, len(cfg.HTTP.APIKeys))
	}
}

func TestLoadValues(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"STATEKIT_REDIS_URL":            "redis+cluster://a:1,b:2",
		"STATEKIT_KEY_PREFIX":           "acme",
		"STATEKIT_HTTP_ADDR":            "127.0.0.1:9000",
		"STATEKIT_LOG_LEVEL":            "debug",
		"STATEKIT_API_KEYS":             "ops:0123456789abcdef01234567:admin, shop:abcdefabcdefabcdefabcdef99:sessions",
		"STATEKIT_SESSION_IDLE_TIMEOUT": "5m",
	}))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if cfg.Redis.KeyPrefix != "acme" || cfg.Bus.Prefix != "acme" || cfg.HTTP.Addr != "127.0.0.1:9000" {
		t.Errorf("cfg = %+v", cfg)
	}
	if len(cfg.HTTP.APIKeys) != 2 || cfg.HTTP.APIKeys[1].Name != "shop" || cfg.HTTP.APIKeys[1].Scopes[0] != "sessions" {
		t.Errorf("keys = %+v", cfg.HTTP.APIKeys)
	}
	if cfg.Sessions.IdleTimeout != 5*time.Minute || cfg.LogLevel.String() != "DEBUG" {
		t.Errorf("idle %v level %v", cfg.Sessions.IdleTimeout, cfg.LogLevel)
	}
}

// TestLoadNamesTheVariable: every invalid value stops start-up with a message naming its variable.
func TestLoadNamesTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"STATEKIT_REDIS_URL":                 "mysql://x:1",
		"STATEKIT_KEY_PREFIX":                "a{b}",
		"STATEKIT_LOG_LEVEL":                 "loud",
		"STATEKIT_API_KEYS":                  "ops:short:admin",
		"STATEKIT_COOKIE_SECURE":             "maybe",
		"STATEKIT_SESSION_IDLE_TIMEOUT":      "-1s",
		"STATEKIT_SESSION_MAX_PER_USER":      "many",
		"STATEKIT_SESSION_ABSOLUTE_LIFETIME": "1s",
		"STATEKIT_EVENT_MAXLEN":              "0",
		"STATEKIT_SHUTDOWN_TIMEOUT":          "never",
		"STATEKIT_HTTP_ADDR":                 "8080",
		"STATEKIT_MAX_BODY_BYTES":            "12",
		"STATEKIT_TRUSTED_PROXIES":           "10.0.0.0/8,proxy.internal",
	} {
		_, err := Load(env(map[string]string{name: value}))
		if err == nil {
			t.Errorf("%s=%q accepted, want an error", name, value)
			continue
		}
		want := name
		if strings.HasPrefix(name, "STATEKIT_SESSION_") && name != "STATEKIT_SESSION_MAX_PER_USER" && name != "STATEKIT_SESSION_IDLE_TIMEOUT" {
			want = "STATEKIT_SESSION_"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%q: error %q does not name the variable", name, value, err)
		}
	}
}

func TestAPIKeysRejectUnknownScopeAndDuplicates(t *testing.T) {
	for _, v := range []string{
		"ops:0123456789abcdef01234567:root",
		"ops:0123456789abcdef01234567:admin,ops:abcdefabcdefabcdefabcdef99:admin",
		"ops:0123456789abcdef01234567:admin,two:0123456789abcdef01234567:admin",
		"o{ps}:0123456789abcdef01234567:admin",
		"justaname",
	} {
		if _, err := Load(env(map[string]string{"STATEKIT_API_KEYS": v})); err == nil || !strings.Contains(err.Error(), "STATEKIT_API_KEYS") {
			t.Errorf("STATEKIT_API_KEYS=%q: err = %v", v, err)
		}
	}
}

// TestEverySettingIsDocumented: every setting is a STATEKIT_ variable with a meaning, listed once.
func TestEverySettingIsDocumented(t *testing.T) {
	r := Settings(env(nil))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	seen := map[string]bool{}
	for _, v := range r.Values {
		if !strings.HasPrefix(v.Name, "STATEKIT_") || v.Meaning == "" || seen[v.Name] {
			t.Errorf("setting %+v", v.Setting)
		}
		seen[v.Name] = true
	}
	for _, must := range []string{"STATEKIT_REDIS_URL", "STATEKIT_KEY_PREFIX", "STATEKIT_HTTP_ADDR", "STATEKIT_LOG_LEVEL",
		"STATEKIT_API_KEYS", "STATEKIT_SESSION_IDLE_TIMEOUT", "STATEKIT_SEMAPHORE_DEFAULT_TTL", "STATEKIT_RATE_LIMITS"} {
		if !seen[must] {
			t.Errorf("%s is not among the settings", must)
		}
	}
}

// TestReadmeTableMatchesSettings keeps the README's configuration table the one the settings generate.
func TestReadmeTableMatchesSettings(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	header := "| Variable | Default | Meaning |\n"
	start := strings.Index(string(readme), header)
	if start < 0 {
		t.Fatal("README.md has no configuration table")
	}
	table, _, _ := strings.Cut(string(readme[start:]), "\n\n")
	want := ConfigTable(Settings(env(nil)).Values)
	if table+"\n" != want {
		t.Errorf("README.md's configuration table is out of step with the settings; it should read:\n%s", want)
	}
}
