package boot

import (
	"strings"
	"testing"
	"time"
)

func TestLoadLocksDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil && strings.Contains(err.Error(), "STATEKIT_LOCK") {
		t.Fatalf("Load() = %v", err)
	}
	l, s := cfg.Locks, cfg.Semaphore
	if l.App.DefaultTTL != 30*time.Second || l.App.MaxWait != 20*time.Second || s.App.DefaultTTL != 30*time.Second {
		t.Errorf("app defaults = %+v %+v", l.App, s.App)
	}
	if l.Store.Prefix != "statekit" || l.Store.WaiterLease != 3*time.Second || l.Store.FenceRetention != 24*time.Hour ||
		!l.Store.AutoPipeline || len(l.Store.RedlockURLs) != 0 || s.Store.Prefix != "statekit" {
		t.Errorf("store defaults = %+v %+v", l.Store, s.Store)
	}
}

func TestLoadLocksValues(t *testing.T) {
	cfg, _ := Load(env(map[string]string{
		"STATEKIT_KEY_PREFIX":            "acme",
		"STATEKIT_LOCK_DEFAULT_TTL":      "5s",
		"STATEKIT_LOCK_MAX_WAIT":         "2s",
		"STATEKIT_LOCK_WAITER_LEASE":     "1s",
		"STATEKIT_LOCK_FENCE_RETENTION":  "1h",
		"STATEKIT_LOCK_AUTOPIPELINE":     "false",
		"STATEKIT_LOCK_REDLOCK_URLS":     "redis://a:1, redis://b:1,redis://c:1",
		"STATEKIT_SEMAPHORE_DEFAULT_TTL": "7s",
	}))
	l, s := cfg.Locks, cfg.Semaphore
	if l.App.DefaultTTL != 5*time.Second || l.App.MaxWait != 2*time.Second || s.App.MaxWait != 2*time.Second ||
		s.App.DefaultTTL != 7*time.Second {
		t.Errorf("app = %+v %+v", l.App, s.App)
	}
	if l.Store.Prefix != "acme" || l.Store.WaiterLease != time.Second || s.Store.WaiterLease != time.Second ||
		l.Store.FenceRetention != time.Hour || l.Store.AutoPipeline || s.Store.AutoPipeline ||
		strings.Join(l.Store.RedlockURLs, " ") != "redis://a:1 redis://b:1 redis://c:1" {
		t.Errorf("store = %+v %+v", l.Store, s.Store)
	}
}

func TestLoadLocksNamesTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"STATEKIT_LOCK_DEFAULT_TTL":      "1ms",
		"STATEKIT_LOCK_MAX_WAIT":         "soon",
		"STATEKIT_LOCK_WAITER_LEASE":     "1ms",
		"STATEKIT_LOCK_FENCE_RETENTION":  "0s",
		"STATEKIT_LOCK_AUTOPIPELINE":     "perhaps",
		"STATEKIT_LOCK_REDLOCK_URLS":     "redis://a:1,redis://b:1",
		"STATEKIT_SEMAPHORE_DEFAULT_TTL": "-3s",
	} {
		_, err := Load(env(map[string]string{name: value}))
		want := name
		if name == "STATEKIT_LOCK_REDLOCK_URLS" || name == "STATEKIT_LOCK_WAITER_LEASE" {
			want = "STATEKIT_LOCK_"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%q: error %v, want one naming %s", name, value, err, want)
		}
	}
}
