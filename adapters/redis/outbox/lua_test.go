package outbox_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/statekit/statekit/adapters/redis/luascript"
	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

// A module's script, as a store would build it: its prelude, and an operation that changes an entity and
// appends the app's events (the ARGV block) plus one event whose payload the script builds with cjson, all
// at the module's (simulated) time.
var moduleFiles = luascript.New(fstest.MapFS{
	"lua/prelude.lua": {Data: []byte("local function bump(key) return redis.call('INCR', key) end\n")},
	"lua/change.lua": {Data: []byte(`-- KEYS[1] entity  KEYS[2] outbox   ARGV[1] now ms   ARGV[2..] outbox block
local v = bump(KEYS[1])
local ob = outbox_read(2)
outbox_emit(KEYS[2], ob, tonumber(ARGV[1]))
outbox_add(KEYS[2], ob, tonumber(ARGV[1]), 'test.counted', 1, cjson.encode({value = v}))
return ob.next
`)},
}, "lua")

var changeScript = outbox.Script(moduleFiles, "prelude", "change")

// TestScriptAppendsInItsOwnStep: a script built with outbox.Script appends the app-built events and its
// own, with the correlation id and the module's time, to the outbox stream of the entity's slot.
func TestScriptAppendsInItsOwnStep(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		fwd := &sink{}
		in := newInstance(t, tg, fwd, testConfig())
		ctx := ports.WithCorrelationID(context.Background(), "req-7")
		entity := tg.Prefix + ":thing:{t1}"
		block, err := in.ob.Args(ctx, noted{N: 1}, noted{N: 2})
		if err != nil {
			t.Fatal(err)
		}
		at := time.UnixMilli(1_900_000_000_000).UTC()
		key := in.ob.For(entity)
		next, err := changeScript.Run(ctx, tg.Client, []string{entity, key}, append([]any{at.UnixMilli()}, block...)...).Int()
		if err != nil {
			t.Fatal(err)
		}
		if next != 2+len(block) {
			t.Errorf("outbox_read's next = %d, want %d", next, 2+len(block))
		}
		in.ob.Kick(key)
		in.start(t)
		wait.Until(t, 10*time.Second, 5*time.Millisecond, "relayed", func() bool { return len(fwd.got()) == 3 })
		want := []struct{ name, payload string }{{"test.noted", `{"n":1}`}, {"test.noted", `{"n":2}`}, {"test.counted", `{"value":1}`}}
		for i, e := range fwd.got() {
			if e.Name != want[i].name || string(e.Payload) != want[i].payload || e.CorrelationID != "req-7" || !e.OccurredAt.Equal(at) {
				t.Errorf("event %d: %+v (payload %s), want %s %s at %v", i, e, e.Payload, want[i].name, want[i].payload, at)
			}
		}
	})
}
