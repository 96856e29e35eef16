package memwake_test

import (
	"testing"

	"github.com/statekit/statekit/app/internal/memwake"
)

func TestWakeReachesRegisteredWaitersOnly(t *testing.T) {
	var h memwake.Hub[int]
	a, stopA := h.Register()
	b, stopB := h.Register()
	stopB()
	h.Wake(1)
	h.Wake(2) // a already has one pending: this one is dropped, never blocking
	if got := <-a; got != 1 {
		t.Errorf("a got %d, want 1", got)
	}
	select {
	case got := <-a:
		t.Errorf("a got a second wake-up %d; one pending is the bound", got)
	default:
	}
	select {
	case got := <-b:
		t.Errorf("stopped waiter got %d", got)
	default:
	}
	stopA()
	h.Wake(3)
	select {
	case got := <-a:
		t.Errorf("a got %d after stop", got)
	default:
	}
}
