package flagredis_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/fakeclock"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

var epoch = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// env is one contract test's store on its own key prefix with its own simulated clock.
type env struct {
	ctx   context.Context
	store ports.FlagStore
	clock *fakeclock.Clock
	tg    harness.Target
}

func newEnv(t *testing.T, tg harness.Target) env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	clock := fakeclock.New(epoch)
	return env{ctx: ctx, store: flagredis.New(tg.Client, tg.Prefix, clock), clock: clock, tg: tg}
}

func pct(p float64) *float64 { return &p }

// rolloutFlag is a boolean flag on for p percent of users.
func rolloutFlag(key string, p float64) flag.Flag {
	return flag.Flag{Key: key, Type: flag.TypeBoolean, Enabled: true, DefaultVariant: flag.VariantOff,
		Description: "rollout of " + key, Deny: []string{"mallory"},
		Rules: []flag.Rule{{Name: "share", Conditions: []flag.Condition{{Op: flag.OpPercentage, Percent: pct(p)}}, Variant: flag.VariantOn}}}
}

func (e env) put(t *testing.T, f flag.Flag, expect int64) flag.Change {
	t.Helper()
	c, err := e.store.Put(e.ctx, f, expect, "ops")
	if err != nil {
		t.Fatalf("Put(%s, expect %d): %v", f.Key, expect, err)
	}
	return c
}

func (e env) version(t *testing.T) int64 {
	t.Helper()
	v, err := e.store.Version(e.ctx)
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	return v
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}
