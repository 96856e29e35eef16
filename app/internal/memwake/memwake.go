// Package memwake is the wake-up side of the in-memory lease stores that the locktest and semaphoretest
// fakes run their real services over: waiters register, and any change that may free a lease tells every
// registered waiter to look again. It stands in for the Redis stores' pub/sub hand-over messages, without
// their FIFO hand-over.
package memwake

import "sync"

// Hub delivers "look again" wake-ups of type W to registered waiters. The zero value is ready to use.
type Hub[W any] struct {
	mu      sync.Mutex
	waiters map[*chan W]struct{}
}

// Register returns a channel that receives wake-ups until stop is called. A waiter that is slow to read
// misses none that matter: the channel holds one pending wake-up, and one is all it needs to look again.
func (h *Hub[W]) Register() (wakes <-chan W, stop func()) {
	ch := make(chan W, 1)
	h.mu.Lock()
	if h.waiters == nil {
		h.waiters = map[*chan W]struct{}{}
	}
	h.waiters[&ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.waiters, &ch)
		h.mu.Unlock()
	}
}

// Wake sends w to every registered waiter that has no wake-up pending; it never blocks.
func (h *Hub[W]) Wake(w W) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.waiters {
		select {
		case *ch <- w:
		default:
		}
	}
}
