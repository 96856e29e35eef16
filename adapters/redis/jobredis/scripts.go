package jobredis

import (
	"embed"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/luascript"
)

//go:embed lua/*.lua
var luaFS embed.FS

var luaFiles = luascript.New(luaFS, "lua").With(luascript.NowMs)

// script builds a job script: the shared prelude followed by the named file.
func script(name string) *redis.Script { return luaFiles.WithPrelude("prelude", name) }

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
