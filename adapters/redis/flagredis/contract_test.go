package flagredis_test

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/tests/harness"
)

// contract is the ports.FlagStore contract suite: what any implementation must do, observed through the port
// and a simulated clock.
var contract = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"PutThenReadBack", testPutThenReadBack},
	{"VersionBumpsOnEveryChange", testVersionBumps},
	{"ConditionalChanges", testConditional},
	{"KillSwitch", testKillSwitch},
	{"Delete", testDelete},
	{"AuditOncePerVersion", testAuditOnce},
	{"AuditPages", testAuditPages},
	{"Counts", testCounts},
}

// TestFlagStoreContract runs every contract case on standalone Redis and on Redis Cluster, in parallel.
func TestFlagStoreContract(t *testing.T) {
	t.Parallel()
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			harness.Each(t, func(t *testing.T, tg harness.Target) { c.run(t, newEnv(t, tg)) })
		})
	}
}

func testPutThenReadBack(t *testing.T, e env) {
	if v := e.version(t); v != 0 {
		t.Fatalf("Version of an empty store = %d, want 0", v)
	}
	set, err := e.store.All(e.ctx)
	if err != nil || set.Version != 0 || len(set.Flags) != 0 {
		t.Fatalf("All of an empty store = %+v, %v", set, err)
	}
	if _, err := e.store.Get(e.ctx, "nope"); err == nil {
		t.Fatal("Get(nope) found something")
	} else {
		wantErr(t, "Get(nope)", err, flag.ErrNotFound)
	}

	ab := flag.Flag{Key: "checkout-ab", Type: flag.TypeMultivariate, Enabled: false,
		Variants: []flag.Variant{{Name: "control", Weight: 1}, {Name: "wizard", Weight: 3}}, OffVariant: "control",
		Allow: []string{"vip"}, Rules: []flag.Rule{{Conditions: []flag.Condition{
			{Attribute: "app", Op: flag.OpSemverGTE, Value: "2.4.0-rc.1"}, {Attribute: "plan", Op: flag.OpIn, Values: []string{"pro", "team"}}},
			Variant: "wizard"}}}
	c := e.put(t, ab, 0)
	if c.Kind != flag.ChangeCreated || c.Before != nil || c.After == nil || c.Version != 1 || c.Actor != "ops" || !c.At.Equal(epoch) {
		t.Fatalf("Put(new) = %+v", c)
	}
	want := ab
	want.Version, want.UpdatedAt, want.UpdatedBy = 1, epoch, "ops"
	if !reflect.DeepEqual(*c.After, want) {
		t.Errorf("Put(new).After = %+v, want %+v", *c.After, want)
	}
	got, err := e.store.Get(e.ctx, "checkout-ab")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Get = %+v, %v; want %+v", got, err, want)
	}

	e.clock.Advance(time.Minute)
	e.put(t, rolloutFlag("new-checkout", 12.5), 0)
	set, err = e.store.All(e.ctx)
	if err != nil || set.Version != 2 || len(set.Flags) != 2 {
		t.Fatalf("All = %+v, %v; want 2 flags at version 2", set, err)
	}
	sort.Slice(set.Flags, func(i, j int) bool { return set.Flags[i].Key < set.Flags[j].Key })
	if !reflect.DeepEqual(set.Flags[0], want) {
		t.Errorf("All[0] = %+v, want %+v", set.Flags[0], want)
	}
	r := set.Flags[1]
	if r.Key != "new-checkout" || r.Version != 2 || !r.UpdatedAt.Equal(epoch.Add(time.Minute)) || *r.Rules[0].Conditions[0].Percent != 12.5 {
		t.Errorf("All[1] = %+v", r)
	}
	// What comes back still compiles and evaluates like what went in.
	for _, f := range set.Flags {
		if err := f.Validate(); err != nil {
			t.Errorf("stored flag %s no longer validates: %v", f.Key, err)
		}
	}
}

func testVersionBumps(t *testing.T, e env) {
	// Concurrent changes to several flags: every change gets its own version, and the final version counts
	// them all (the bump is atomic with the write).
	const writers, each = 16, 10
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		versions = map[int64]bool{}
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				f := rolloutFlag(fmt.Sprintf("flag-%d", w%4), float64(i))
				c, err := e.store.Put(e.ctx, f, 0, "ops")
				if err != nil {
					t.Errorf("Put: %v", err)
					return
				}
				mu.Lock()
				if versions[c.Version] {
					t.Errorf("version %d handed out twice", c.Version)
				}
				versions[c.Version] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if v := e.version(t); v != writers*each || len(versions) != writers*each {
		t.Errorf("Version = %d after %d changes (%d distinct)", v, writers*each, len(versions))
	}
	set, err := e.store.All(e.ctx)
	if err != nil || set.Version != writers*each || len(set.Flags) != 4 {
		t.Fatalf("All = version %d, %d flags, %v", set.Version, len(set.Flags), err)
	}
	for _, f := range set.Flags {
		if f.Version < 1 || f.Version > set.Version {
			t.Errorf("flag %s at version %d, set at %d", f.Key, f.Version, set.Version)
		}
	}
}

func testConditional(t *testing.T, e env) {
	c := e.put(t, rolloutFlag("f", 10), flag.MustNotExist)
	if c.Kind != flag.ChangeCreated {
		t.Fatalf("create-only Put = %+v", c)
	}
	_, err := e.store.Put(e.ctx, rolloutFlag("f", 90), flag.MustNotExist, "ops")
	wantErr(t, "create-only Put of an existing flag", err, flag.ErrVersionConflict)
	_, err = e.store.Put(e.ctx, rolloutFlag("f", 90), c.Version+7, "ops")
	wantErr(t, "Put with a stale version", err, flag.ErrVersionConflict)
	_, err = e.store.Put(e.ctx, rolloutFlag("g", 90), 3, "ops")
	wantErr(t, "conditional Put of a missing flag", err, flag.ErrVersionConflict)
	_, err = e.store.Delete(e.ctx, "f", c.Version+1, "ops")
	wantErr(t, "Delete with a stale version", err, flag.ErrVersionConflict)
	// None of the refused changes changed anything.
	if v := e.version(t); v != 1 {
		t.Errorf("Version after refused changes = %d, want 1", v)
	}
	if got, _ := e.store.Get(e.ctx, "f"); *got.Rules[0].Conditions[0].Percent != 10 {
		t.Errorf("refused Put changed the flag: %+v", got)
	}
	if _, err := e.store.Get(e.ctx, "g"); err == nil {
		t.Error("refused Put created g")
	}

	upd := e.put(t, rolloutFlag("f", 20), c.Version)
	if upd.Kind != flag.ChangeUpdated || upd.Before == nil || upd.Before.Version != c.Version ||
		*upd.Before.Rules[0].Conditions[0].Percent != 10 || *upd.After.Rules[0].Conditions[0].Percent != 20 {
		t.Errorf("conditional Put = %+v (before %+v)", upd, upd.Before)
	}
}

func testKillSwitch(t *testing.T, e env) {
	_, err := e.store.SetEnabled(e.ctx, "nope", false, "ops")
	wantErr(t, "SetEnabled(nope)", err, flag.ErrNotFound)
	created := e.put(t, rolloutFlag("f", 100), 0)
	e.clock.Advance(time.Hour)
	c, err := e.store.SetEnabled(e.ctx, "f", false, "oncall")
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != flag.ChangeDisabled || c.Version != 2 || !c.Before.Enabled || c.After.Enabled ||
		c.After.UpdatedBy != "oncall" || !c.After.UpdatedAt.Equal(epoch.Add(time.Hour)) || c.After.Version != 2 {
		t.Fatalf("SetEnabled(false) = %+v, before %+v, after %+v", c, c.Before, c.After)
	}
	// Only the switch moved: the rules are as they were.
	after, want := *c.After, *created.After
	after.Enabled, after.Version, after.UpdatedAt, after.UpdatedBy = true, want.Version, want.UpdatedAt, want.UpdatedBy
	if !reflect.DeepEqual(after, want) {
		t.Errorf("kill switch changed more than enabled: %+v vs %+v", after, want)
	}
	got, _ := e.store.Get(e.ctx, "f")
	comp, err := flag.Compile(got)
	if err != nil {
		t.Fatal(err)
	}
	if r := comp.Evaluate(&flag.Context{UserID: "anyone"}); r.Reason != flag.ReasonOff {
		t.Errorf("killed flag evaluates %+v", r)
	}
	c, err = e.store.SetEnabled(e.ctx, "f", true, "oncall")
	if err != nil || c.Kind != flag.ChangeEnabled || !c.After.Enabled || c.Version != 3 {
		t.Errorf("SetEnabled(true) = %+v, %v", c, err)
	}
}

func testDelete(t *testing.T, e env) {
	_, err := e.store.Delete(e.ctx, "nope", 0, "ops")
	wantErr(t, "Delete(nope)", err, flag.ErrNotFound)
	created := e.put(t, rolloutFlag("f", 5), 0)
	if err := e.store.AddCounts(e.ctx, []flag.Count{{Key: "f", Variant: "on", N: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RecordAudit(e.ctx, flag.AuditFrom(flag.ToggledFrom(created))); err != nil {
		t.Fatal(err)
	}
	c, err := e.store.Delete(e.ctx, "f", created.Version, "ops")
	if err != nil || c.Kind != flag.ChangeDeleted || c.After != nil || c.Before == nil || c.Before.Key != "f" || c.Version != 2 {
		t.Fatalf("Delete = %+v, %v", c, err)
	}
	if _, err := e.store.Get(e.ctx, "f"); err == nil {
		t.Error("deleted flag still there")
	}
	set, _ := e.store.All(e.ctx)
	if len(set.Flags) != 0 || set.Version != 2 {
		t.Errorf("All after delete = %+v", set)
	}
	if counts, err := e.store.Counts(e.ctx, "f"); err != nil || len(counts) != 0 {
		t.Errorf("counts after delete = %v, %v", counts, err)
	}
	if trail, err := e.store.Audit(e.ctx, "f", 0, 10); err != nil || len(trail) != 1 {
		t.Errorf("audit after delete = %v, %v; want it kept", trail, err)
	}
}

func testAuditOnce(t *testing.T, e env) {
	c1 := e.put(t, rolloutFlag("f", 10), 0)
	e.clock.Advance(time.Minute)
	c2 := e.put(t, rolloutFlag("f", 20), 0)
	// Each change delivered three times, concurrently and out of order: one entry per version.
	var wg sync.WaitGroup
	added := make(chan bool, 6)
	for range 3 {
		for _, c := range []flag.Change{c2, c1} {
			wg.Go(func() {
				ok, err := e.store.RecordAudit(e.ctx, flag.AuditFrom(flag.ToggledFrom(c)))
				if err != nil {
					t.Error(err)
				}
				added <- ok
			})
		}
	}
	wg.Wait()
	close(added)
	n := 0
	for ok := range added {
		if ok {
			n++
		}
	}
	if n != 2 {
		t.Errorf("RecordAudit added %d entries for 2 changes delivered 3 times each", n)
	}
	trail, err := e.store.Audit(e.ctx, "f", 0, 10)
	if err != nil || len(trail) != 2 {
		t.Fatalf("Audit = %+v, %v", trail, err)
	}
	newest := trail[0]
	if newest.Version != c2.Version || newest.Change != flag.ChangeUpdated || newest.Actor != "ops" ||
		!newest.At.Equal(c2.At) || newest.Before == nil || *newest.Before.Rules[0].Conditions[0].Percent != 10 ||
		*newest.After.Rules[0].Conditions[0].Percent != 20 {
		t.Errorf("newest entry = %+v", newest)
	}
	if trail[1].Version != c1.Version || trail[1].Change != flag.ChangeCreated || trail[1].Before != nil {
		t.Errorf("oldest entry = %+v", trail[1])
	}
}

func testAuditPages(t *testing.T, e env) {
	var versions []int64
	for i := range 7 {
		c := e.put(t, rolloutFlag("f", float64(i)), 0)
		e.put(t, rolloutFlag("other", float64(i)), 0) // interleaved changes of another flag
		if _, err := e.store.RecordAudit(e.ctx, flag.AuditFrom(flag.ToggledFrom(c))); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, c.Version)
	}
	var got []int64
	before := int64(0)
	for {
		page, err := e.store.Audit(e.ctx, "f", before, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range page {
			if en.Key != "f" {
				t.Errorf("entry of %s in f's trail", en.Key)
			}
			got = append(got, en.Version)
		}
		if len(page) < 3 {
			break
		}
		before = page[len(page)-1].Version
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] > versions[j] })
	if !reflect.DeepEqual(got, versions) {
		t.Errorf("paged trail = %v, want %v", got, versions)
	}
}

func testCounts(t *testing.T, e env) {
	e.put(t, rolloutFlag("f", 50), 0)
	for range 3 {
		if err := e.store.AddCounts(e.ctx, []flag.Count{{Key: "f", Variant: "on", N: 10}, {Key: "f", Variant: "off", N: 7}, {Key: "g", Variant: "x", N: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.AddCounts(e.ctx, nil); err != nil {
		t.Fatal(err)
	}
	counts, err := e.store.Counts(e.ctx, "f")
	if err != nil || !reflect.DeepEqual(counts, map[string]int64{"on": 30, "off": 21}) {
		t.Errorf("Counts = %v, %v", counts, err)
	}
}

// TestServerTime runs the store without a clock: the scripts read Redis TIME.
func TestServerTime(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		e := newEnv(t, tg)
		store := flagredis.New(tg.Client, tg.Prefix, nil)
		start := time.Now()
		c, err := store.Put(e.ctx, rolloutFlag("f", 1), 0, "ops")
		if err != nil {
			t.Fatal(err)
		}
		if d := c.At.Sub(start); d < -time.Minute || d > time.Minute {
			t.Errorf("change time %s, want about now (%s)", c.At, start)
		}
	})
}

// TestAuditCap keeps only the newest AuditCap entries of a flag.
func TestAuditCap(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	e := newEnv(t, tg)
	for v := int64(1); v <= flagredis.AuditCap+5; v++ {
		if _, err := e.store.RecordAudit(e.ctx, flag.AuditEntry{Key: "f", Change: flag.ChangeUpdated, Version: v, Actor: "ops", At: epoch}); err != nil {
			t.Fatal(err)
		}
	}
	trail, err := e.store.Audit(e.ctx, "f", 0, 1000)
	if err != nil || len(trail) != flagredis.AuditCap || trail[0].Version != flagredis.AuditCap+5 || trail[len(trail)-1].Version != 6 {
		t.Errorf("Audit after %d entries: %d kept, newest %d, oldest %d, %v", flagredis.AuditCap+5, len(trail),
			trail[0].Version, trail[len(trail)-1].Version, err)
	}
}
