package flaghttp

import (
	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/flagapp"
)

// settings are the module's environment variables; the README's configuration table and `statekit config`
// list them.
var settings = []contract.Setting{
	{Name: "STATEKIT_FLAGS_SYNC_INTERVAL", Default: "10s",
		Meaning: "How often each instance compares the stored flag version with its in-process snapshot, catching a missed `flags.toggled` (one GET)."},
	{Name: "STATEKIT_FLAGS_FLUSH_INTERVAL", Default: "5s",
		Meaning: "How often each instance writes its flag evaluation counts (one pipelined round trip) and publishes sampled `flags.evaluated` events."},
	{Name: "STATEKIT_FLAGS_SAMPLE_EVERY", Default: "10000",
		Meaning: "Publish `flags.evaluated` for one evaluation in this many per flag variant; `0` publishes none."},
}

// parseSettings reads the flags configuration.
func parseSettings(e *contract.Env) flagapp.Config {
	cfg := flagapp.DefaultConfig()
	cfg.SyncInterval = e.Duration("STATEKIT_FLAGS_SYNC_INTERVAL")
	cfg.FlushInterval = e.Duration("STATEKIT_FLAGS_FLUSH_INTERVAL")
	cfg.SampleEvery = e.IntOrZero("STATEKIT_FLAGS_SAMPLE_EVERY")
	e.Check("STATEKIT_FLAGS_*", cfg.Validate())
	return cfg
}
