package lockproof

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/app/lockapp"
	"github.com/statekit/statekit/domain/lock"
	"github.com/statekit/statekit/tests/harness"
)

// TestFencingRejectsPausedHolder: holder A writes a fenced value, then pauses past its lease (simulated: it
// takes the lock without renewal and does nothing while the lease lapses — what a GC pause or a stopped VM
// looks like from Redis). B acquires the lock and writes. When A wakes and writes with its old fence, the
// write is rejected and B's value stays. A's holder context was cancelled when its lease ran out, and A's
// release reports the loss.
func TestFencingRejectsPausedHolder(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx := testCtx(t)
		svc := lockService(t, tg)
		a, err := svc.TryAcquire(ctx, "ledger", lockapp.WithTTL(100*time.Millisecond), lockapp.WithoutRenewal())
		if err != nil {
			t.Fatal(err)
		}
		if err := a.WriteFenced(ctx, "ledger.balance", "100 by A", 0); err != nil {
			t.Fatalf("A's write while holding: %v", err)
		}

		// A is paused. B waits for the lock, which becomes free when A's lease lapses.
		b, err := svc.Acquire(ctx, "ledger", lockapp.WithTTL(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release(context.Background())
		if b.Fence() <= a.Fence() {
			t.Fatalf("B's fence %d is not newer than A's %d", b.Fence(), a.Fence())
		}
		if err := b.WriteFenced(ctx, "ledger.balance", "90 by B", 0); err != nil {
			t.Fatalf("B's write: %v", err)
		}

		// A wakes up believing it still holds the lock.
		if err := a.WriteFenced(ctx, "ledger.balance", "150 by A", 0); !errors.Is(err, lock.ErrStaleFence) {
			t.Fatalf("paused A's write = %v, want ErrStaleFence", err)
		}
		v, f, err := svc.ReadFenced(ctx, "ledger.balance")
		if err != nil || v != "90 by B" || f != b.Fence() {
			t.Errorf("value = %q with fence %d (%v), want B's write with fence %d", v, f, err, b.Fence())
		}
		<-a.Context().Done() // cancelled when A's local validity ran out
		if cause := context.Cause(a.Context()); !errors.Is(cause, lock.ErrLost) {
			t.Errorf("A's holder context cause = %v, want ErrLost", cause)
		}
		if err := a.Release(ctx); !errors.Is(err, lock.ErrLost) {
			t.Errorf("A's release = %v, want ErrLost", err)
		}
	})
}
