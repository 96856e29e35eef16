package jobredis

import (
	"embed"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script builds a job script: the shared prelude followed by the named file.
func script(name string) *redis.Script {
	prelude, err := luaFiles.ReadFile("lua/prelude.lua")
	if err != nil {
		panic(err) // embedded at build time: absence is a build defect
	}
	body, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err)
	}
	return redis.NewScript(string(prelude) + "\n" + string(body))
}

var (
	enqueueScript         = script("enqueue")
	enqueuePeriodicScript = script("enqueue_periodic")
	exchangeScript        = script("exchange")
	extendScript          = script("extend")
	releaseScript         = script("release")
	statsScript           = script("stats")
	listScript            = script("list")
	getScript             = script("get")
	runNowScript          = script("run_now")
	deleteScript          = script("delete")
	resumeScript          = script("resume")
	wakeScript            = script("wake")
	purgeScript           = script("purge")
	trimScript            = script("trim")
	unregisterScript      = script("unregister")
)
