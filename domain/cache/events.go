package cache

// Invalidated is published as cache.invalidated after a write, a delete or a namespace invalidation has
// reached the shared tier. Every instance receives it (fan-out) and drops the entry (or, for a namespace,
// moves to the new generation) in its in-process tier.
type Invalidated struct {
	Namespace string `json:"namespace"`
	// Key is the written or deleted key; empty when the whole namespace was invalidated.
	Key string `json:"key,omitempty"`
	// Generation is the namespace generation the change applies to (the new one for a namespace
	// invalidation).
	Generation int64 `json:"generation"`
	// Instance identifies the publishing process, which has already updated its own in-process tier.
	Instance string `json:"instance"`
}

// EventName implements ports.Event.
func (Invalidated) EventName() string { return "cache.invalidated" }

// EventVersion implements ports.Event.
func (Invalidated) EventVersion() int { return 1 }
