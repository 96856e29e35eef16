package outbox_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/outbox"
	"github.com/statekit/statekit/tests/harness"
)

// TestSlotMatchesClusterKeyslot: Slot agrees with CLUSTER KEYSLOT, hash tags included (the first {...}
// with content; an empty {} or an unclosed { hashes the whole key).
func TestSlotMatchesClusterKeyslot(t *testing.T) {
	tg := harness.Cluster(t)
	ctx := context.Background()
	keys := []string{"", "a", "123456789", "statekit:flag:{flags}:version", "{user1000}.following",
		"foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{", "}", "{}", "x{y", "x}y{z}", "\xff\x00binary",
		"statekit:session:{ab12}:u:7", "statekit:outbox:{zz}"}
	for i := range 300 {
		keys = append(keys, fmt.Sprintf("k%d:{t%d}", i, i*7), fmt.Sprintf("plain-%d", i*13))
	}
	for _, k := range keys {
		want, err := tg.Client.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := outbox.Slot(k); int64(got) != want {
			t.Errorf("Slot(%q) = %d, CLUSTER KEYSLOT = %d", k, got, want)
		}
	}
}

// TestForSharesTheEntitySlot: on a cluster the outbox stream of an entity key is in that key's slot (as
// Redis computes it), and the streams cover every slot once.
func TestForSharesTheEntitySlot(t *testing.T) {
	tg := harness.Cluster(t)
	ctx := context.Background()
	ob := outbox.New(tg.Client, tg.Prefix, outbox.DefaultConfig())
	for i := range 200 {
		entity := fmt.Sprintf("%s:cart:{u:%d}", tg.Prefix, i)
		a, _ := tg.Client.ClusterKeySlot(ctx, entity).Result()
		b, _ := tg.Client.ClusterKeySlot(ctx, ob.For(entity)).Result()
		if a != b {
			t.Errorf("For(%q) = %q: slot %d, entity slot %d", entity, ob.For(entity), b, a)
		}
	}
	keys := ob.Keys()
	if len(keys) != outbox.SlotCount {
		t.Fatalf("%d outbox streams, want %d", len(keys), outbox.SlotCount)
	}
	for slot, k := range keys {
		if got := outbox.Slot(k); got != slot {
			t.Fatalf("stream %q of slot %d hashes to %d", k, slot, got)
		}
		if len(k) > len(tg.Prefix)+len(":outbox:{}")+4 {
			t.Fatalf("stream %q: tag longer than 4 characters", k)
		}
	}
}

// TestStandaloneUsesOneStream: on a single node every entity maps to "<prefix>:outbox".
func TestStandaloneUsesOneStream(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	ob := outbox.New(c, "p", outbox.DefaultConfig())
	if got := ob.For("p:cart:{u:1}"); got != "p:outbox" {
		t.Errorf("For = %q, want p:outbox", got)
	}
	if keys := ob.Keys(); len(keys) != 1 || keys[0] != "p:outbox" {
		t.Errorf("Keys = %v, want [p:outbox]", keys)
	}
}
