package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/app/flagapp"
	"github.com/statekit/statekit/domain/flag"
)

// The flags scenario: one goroutine evaluating a realistic flag for 10,000 users, statekit from its
// in-process snapshot (no round trip) against the raw-Redis way, which reads the flag's definition from Redis
// for every evaluation (HGET, decode, evaluate).
func init() { scenarios["flags"] = runFlags }

const (
	flagsPrefix     = "bench"
	flagsKey        = "bench-rollout"
	flagsUsers      = 10_000
	flagsOursEvals  = 3_000_000
	flagsPeerEvals  = 20_000
	flagsRolloutPct = 20.0
)

// flagsBenchFlag is on for staff, off for a deny list, and on for 20% of users on app 2.x; it has the
// evaluator walk a set, a semver and a percentage condition.
func flagsBenchFlag() flag.Flag {
	p := flagsRolloutPct
	return flag.Flag{Key: flagsKey, Type: flag.TypeBoolean, Enabled: true, DefaultVariant: flag.VariantOff,
		Deny: []string{"user-13", "user-666"},
		Rules: []flag.Rule{
			{Name: "staff", Conditions: []flag.Condition{{Attribute: "plan", Op: flag.OpIn, Values: []string{"staff", "internal"}}}, Variant: flag.VariantOn},
			{Name: "rollout", Conditions: []flag.Condition{
				{Attribute: "app_version", Op: flag.OpSemverGTE, Value: "2.0.0"},
				{Op: flag.OpPercentage, Percent: &p},
			}, Variant: flag.VariantOn},
		}}
}

// flagsContexts are the users evaluated, in turn.
func flagsContexts() []flag.Context {
	out := make([]flag.Context, flagsUsers)
	for i := range out {
		out[i] = flag.Context{UserID: "user-" + strconv.Itoa(i),
			Attributes: map[string]string{"plan": "pro", "app_version": "2.4.1", "country": "DE"}}
	}
	return out
}

func runFlags() error {
	srv, err := StartRedis()
	if err != nil {
		return err
	}
	defer srv.Stop()
	c := srv.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ctxs := flagsContexts()

	// The reference answer: which users the flag lets in, by the pure evaluator.
	compiled, err := flag.Compile(flagsBenchFlag())
	if err != nil {
		return Fail("flags.evaluate", err)
	}
	want := make([]bool, flagsUsers)
	in := 0
	for i := range ctxs {
		want[i] = compiled.Evaluate(&ctxs[i]).On
		if want[i] {
			in++
		}
	}
	if d := math.Abs(float64(in) - flagsUsers*flagsRolloutPct/100); d > 4*math.Sqrt(flagsUsers*0.2*0.8) {
		return Fail("flags.evaluate", fmt.Errorf("%d of %d users in a %v%% rollout", in, flagsUsers, flagsRolloutPct))
	}

	var roundTrips int64
	ours, peer, err := Alternate(srv.Flush,
		func() (float64, error) {
			rate, rt, err := flagsOurs(ctx, c, ctxs, want)
			roundTrips = max(roundTrips, rt)
			return rate, err
		},
		func() (float64, error) { return flagsPeer(ctx, c, ctxs, want) })
	if err != nil {
		return Fail("flags.evaluate", err)
	}
	extra := []string{fmt.Sprintf("ns_per_eval=%.0f", 1e9/ours), fmt.Sprintf("round_trips=%d", roundTrips)}
	if len(flagsCPUNs) > 0 {
		extra = append(extra, fmt.Sprintf("cpu_ns_per_eval=%.0f", Median(flagsCPUNs)))
	}
	Line("flags.evaluate", 1, ours, "raw-redis", peer, extra...)
	return nil
}

// flagsOurs stores the flag, loads a snapshot, and times flagsOursEvals evaluations from it. It checks
// every answer against the reference and counts the commands Redis processed during the timed loop.
func flagsOurs(ctx context.Context, c *redis.Client, ctxs []flag.Context, want []bool) (float64, int64, error) {
	store := flagredis.New(c, flagsPrefix, nil)
	if _, err := store.Put(ctx, flagsBenchFlag(), 0, "bench"); err != nil {
		return 0, 0, err
	}
	snap := flagapp.NewSnapshot(store, flagapp.Config{SyncInterval: time.Hour, FlushInterval: time.Hour})
	if err := snap.Refresh(ctx); err != nil {
		return 0, 0, err
	}
	before, err := commandsProcessed(ctx, c)
	if err != nil {
		return 0, 0, err
	}
	wrong := 0
	runtime.LockOSThread() // so the thread's CPU time is this loop's
	cpu0 := threadCPU()
	start := time.Now()
	for i := range flagsOursEvals {
		u := i % flagsUsers
		if snap.Evaluate(flagsKey, &ctxs[u]).On != want[u] {
			wrong++
		}
	}
	elapsed := time.Since(start)
	if cpu0 >= 0 {
		flagsCPUNs = append(flagsCPUNs, float64(threadCPU()-cpu0)/flagsOursEvals)
	}
	runtime.UnlockOSThread()
	after, err := commandsProcessed(ctx, c)
	if err != nil {
		return 0, 0, err
	}
	if wrong != 0 {
		return 0, 0, fmt.Errorf("statekit: %d evaluations disagree with the evaluator", wrong)
	}
	// The second INFO counts the first one; anything beyond that was a round trip of an evaluation.
	rt := after - before - 1
	if rt != 0 {
		return 0, 0, fmt.Errorf("statekit: Redis processed %d commands during %d evaluations, want 0", rt, flagsOursEvals)
	}
	return float64(flagsOursEvals) / elapsed.Seconds(), rt, nil
}

// flagsPeer stores the flag's definition as JSON in a hash field and, for every evaluation, reads it back
// (HGET: one round trip), decodes and evaluates it.
func flagsPeer(ctx context.Context, c *redis.Client, ctxs []flag.Context, want []bool) (float64, error) {
	raw, err := json.Marshal(flagsBenchFlag())
	if err != nil {
		return 0, err
	}
	if err := c.HSet(ctx, "peer:flags", flagsKey, raw).Err(); err != nil {
		return 0, err
	}
	wrong := 0
	start := time.Now()
	for i := range flagsPeerEvals {
		def, err := c.HGet(ctx, "peer:flags", flagsKey).Bytes()
		if err != nil {
			return 0, err
		}
		var f flag.Flag
		if err := json.Unmarshal(def, &f); err != nil {
			return 0, err
		}
		comp, err := flag.Compile(f)
		if err != nil {
			return 0, err
		}
		u := i % flagsUsers
		if comp.Evaluate(&ctxs[u]).On != want[u] {
			wrong++
		}
	}
	elapsed := time.Since(start)
	if wrong != 0 {
		return 0, fmt.Errorf("raw-redis: %d evaluations disagree with the evaluator", wrong)
	}
	return float64(flagsPeerEvals) / elapsed.Seconds(), nil
}

// flagsCPUNs collects, per statekit round, the CPU time of the evaluating thread per evaluation: on a
// shared machine it shows the cost of an evaluation apart from the time the thread waited for a core.
var flagsCPUNs []float64

// threadCPU is the calling thread's user+system CPU time in nanoseconds (getrusage RUSAGE_THREAD, which
// is 1 on Linux), or -1 where that is not available.
func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// commandsProcessed reads INFO stats' total_commands_processed.
func commandsProcessed(ctx context.Context, c *redis.Client) (int64, error) {
	info, err := c.InfoMap(ctx, "stats").Result()
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(info["Stats"]["total_commands_processed"], 10, 64)
}
