package lockredis

import (
	"embed"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/luascript"
)

//go:embed lua/*.lua
var luaFS embed.FS

var luaFiles = luascript.New(luaFS, "lua").With(luascript.Num)

// script builds a lock script: the shared prelude followed by the named file, or put at its @prelude mark
// when the file first runs a self-contained fast path. fenced_set stands alone.
func script(name string, prelude bool) *redis.Script {
	if !prelude {
		return luaFiles.Script(name)
	}
	return luaFiles.WithPrelude("prelude", name)
}

var (
	acquireScript   = script("acquire", true)
	releaseScript   = script("release", true)
	extendScript    = script("extend", true)
	leaveScript     = script("leave", true)
	inspectScript   = script("inspect", true)
	fencedSetScript = script("fenced_set", false)
)
