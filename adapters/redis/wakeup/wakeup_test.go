package wakeup

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// TestHubRoutesByWaiter: a message reaches only the waiter it names, a pending message is replaced by a
// newer one, unknown waiters' messages are dropped, and the hub refuses registrations once closed. It runs on
// a cluster too, where PUBLISH on one node reaches a subscriber on another.
func TestHubRoutesByWaiter(t *testing.T) {
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h := New(tg.Client, NewChannel(tg.Prefix+":wake"), strings.ToUpper)
		if !strings.HasPrefix(h.Channel(), tg.Prefix+":wake:") {
			t.Errorf("channel %q", h.Channel())
		}
		a, stopA, err := h.Register(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		b, stopB, err := h.Register(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		defer stopB()
		// Every message goes through one node: a cluster client sends each PUBLISH to a node of its
		// choosing, and messages taking different nodes may arrive out of order.
		var pub redis.Cmdable = tg.Client
		if cc, ok := tg.Client.(*redis.ClusterClient); ok {
			if pub, err = cc.MasterForKey(ctx, h.Channel()); err != nil {
				t.Fatal(err)
			}
		}
		publish := func(msg string) {
			t.Helper()
			if err := pub.Publish(ctx, h.Channel(), msg).Err(); err != nil {
				t.Fatal(err)
			}
		}
		publish("b first")
		publish("nobody x")
		publish("b second")
		publish("malformed")
		publish("a hello")
		select {
		case got := <-a:
			if got != "HELLO" {
				t.Errorf("a got %q", got)
			}
		case <-ctx.Done():
			t.Fatal("a got nothing")
		}
		// b's two messages arrived before a's (one subscription, in order): only the newer is kept.
		select {
		case got := <-b:
			if got != "SECOND" {
				t.Errorf("b got %q, want the newer message", got)
			}
		default:
			t.Fatal("b got nothing")
		}
		stopA()
		publish("a again")
		publish("b third")
		if got := <-b; got != "THIRD" {
			t.Errorf("b got %q", got)
		}
		select {
		case got := <-a:
			t.Errorf("unregistered a got %q", got)
		default:
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.Register(ctx, "c"); !errors.Is(err, ErrClosed) {
			t.Errorf("Register after Close = %v, want ErrClosed", err)
		}
	})
}

// TestDeliverHandsOverInProcess: Deliver reaches the registered waiter without Redis, keeps only the newest
// pending value, and reports a waiter that is not registered.
func TestDeliverHandsOverInProcess(t *testing.T) {
	tg := harness.Standalone(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := New(tg.Client, NewChannel(tg.Prefix+":wake"), strings.ToUpper)
	defer h.Close()
	a, stop, err := h.Register(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !h.Deliver("a", "older") || !h.Deliver("a", "newer") {
		t.Fatal("Deliver to a registered waiter reported it missing")
	}
	if got := <-a; got != "newer" {
		t.Errorf("a got %q, want the newest value as given (not decoded)", got)
	}
	stop()
	if h.Deliver("a", "late") {
		t.Error("Deliver to an unregistered waiter reported success")
	}
	select {
	case got := <-a:
		t.Errorf("unregistered a got %q", got)
	default:
	}
}
