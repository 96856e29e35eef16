package cartredis_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/cartredis"
	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/wait"
)

// TestAdjustStockIsNeverResent: a stock adjustment (an increment: running it twice would count twice) made
// through statekit's own client whose reply is lost, or whose server freezes past the read timeout, fails
// with ports.ErrUnavailable and takes effect exactly once; the client works again right after.
func TestAdjustStockIsNeverResent(t *testing.T) {
	srv := harness.NewServer(t)
	proxy := harness.NewProxy(t, srv.Addr())
	const prefix = "lost"
	conn, err := rdb.Connect(rdb.Config{URL: "redis://" + proxy.Addr() + "?read_timeout=300ms", KeyPrefix: prefix},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	inv := cartredis.NewInventory(conn.Shared(), prefix, cart.DefaultPolicy(), nil)
	direct := cartredis.NewInventory(srv.Client(t), prefix, cart.DefaultPolicy(), nil)
	ctx := context.Background()
	onHand := func() int64 {
		t.Helper()
		s, err := direct.Stock(ctx, "sku-1")
		if err != nil {
			t.Fatal(err)
		}
		return s.OnHand
	}
	if _, err := inv.SetStock(ctx, "sku-1", 10, 100); err != nil { // also loads the script
		t.Fatal(err)
	}

	t.Run("reply lost", func(t *testing.T) {
		proxy.SwallowReplies("EVALSHA", 1)
		_, err := inv.AdjustStock(ctx, "sku-1", 5)
		if !errors.Is(err, ports.ErrUnavailable) {
			t.Fatalf("AdjustStock with its reply lost: %v, want ErrUnavailable", err)
		}
		if proxy.Swallowed() != 1 {
			t.Fatalf("proxy swallowed %d replies, want 1", proxy.Swallowed())
		}
		if n := onHand(); n != 15 {
			t.Fatalf("on hand %d after +5 whose reply was lost, want 15 (applied once)", n)
		}
		if s, err := inv.AdjustStock(ctx, "sku-1", 1); err != nil || s.OnHand != 16 {
			t.Fatalf("next AdjustStock: %+v, %v; want 16 on hand", s, err)
		}
	})

	t.Run("server frozen", func(t *testing.T) {
		before := onHand()
		srv.Freeze(t)
		_, err := inv.AdjustStock(ctx, "sku-1", 5)
		if !errors.Is(err, ports.ErrUnavailable) {
			t.Fatalf("AdjustStock on a frozen server: %v, want ErrUnavailable", err)
		}
		srv.Thaw(t)
		// The server reads the command it was sent before freezing as soon as it runs again: once.
		wait.Until(t, 5*time.Second, 10*time.Millisecond, "the frozen call's effect", func() bool { return onHand() != before })
		time.Sleep(200 * time.Millisecond) // a resend would land now
		if n := onHand(); n != before+5 {
			t.Fatalf("on hand %d after +5 sent to a frozen server, want %d (applied once)", n, before+5)
		}
		if s, err := inv.AdjustStock(ctx, "sku-1", 1); err != nil || s.OnHand != before+6 {
			t.Fatalf("next AdjustStock: %+v, %v; want %d on hand", s, err, before+6)
		}
	})
}
