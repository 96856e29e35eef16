package boot

import (
	"fmt"
	"strconv"

	"github.com/statekit/statekit/adapters/redis/outbox"
)

// outboxVariables are the outbox relay's rows of Variables.
var outboxVariables = []Variable{
	{"STATEKIT_OUTBOX_MAXLEN", "1000000", "Entries kept per outbox stream (approximate trimming). The outbox holds only events not yet relayed to their topics, so it nears this only while relays are down for long; past it the oldest unrelayed events are lost."},
	{"STATEKIT_OUTBOX_SWEEP_INTERVAL", "5s", "How often one instance (under a lease) sweeps every outbox stream for events an instance left unrelayed (it stopped between a write and its relay)."},
	{"STATEKIT_OUTBOX_SWEEP_GRACE", "5s", "Age an outbox entry must reach before the sweep relays it, so the sweep leaves fresh entries to the instance that wrote them."},
}

// loadOutbox reads the STATEKIT_OUTBOX_* variables through get (which supplies defaults), reporting each bad
// value through bad.
func loadOutbox(get func(string) string, bad func(string, error)) outbox.Config {
	cfg := outbox.DefaultConfig()
	n, err := strconv.ParseInt(get("STATEKIT_OUTBOX_MAXLEN"), 10, 64)
	if err != nil || n < 1000 {
		bad("STATEKIT_OUTBOX_MAXLEN", fmt.Errorf("%q is not an integer of at least 1000", get("STATEKIT_OUTBOX_MAXLEN")))
	}
	cfg.MaxLen = n
	cfg.SweepInterval = positiveDuration(get, bad, "STATEKIT_OUTBOX_SWEEP_INTERVAL")
	cfg.SweepGrace = positiveDuration(get, bad, "STATEKIT_OUTBOX_SWEEP_GRACE")
	if err := cfg.Validate(); err != nil {
		bad("STATEKIT_OUTBOX_*", err)
	}
	return cfg
}
