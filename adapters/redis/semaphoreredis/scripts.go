package semaphoreredis

import (
	"embed"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/luascript"
)

//go:embed lua/*.lua
var luaFS embed.FS

var luaFiles = luascript.New(luaFS, "lua").With(luascript.NowMs, luascript.Num)

// script builds a semaphore script: the shared prelude followed by the named file.
func script(name string) *redis.Script { return luaFiles.WithPrelude("prelude", name) }

var (
	acquireScript  = script("acquire")
	refreshScript  = script("refresh")
	releaseScript  = script("release")
	leaveScript    = script("leave")
	capacityScript = script("capacity")
	statsScript    = script("stats")
	deleteScript   = script("delete")
)
