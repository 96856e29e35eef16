package lockredis

import (
	"embed"
	"strings"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// preludeMark is where a script wants the shared prelude, when not at its top: a script may first run a
// self-contained fast path that returns before the prelude's functions are built (Lua builds them anew on
// every run).
const preludeMark = "-- @prelude\n"

// script builds a lock script: the shared prelude followed by (or inserted at the mark of) the named file.
// fenced_set stands alone.
func script(name string, prelude bool) *redis.Script {
	body, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err) // embedded at build time: absence is a build defect
	}
	if !prelude {
		return redis.NewScript(string(body))
	}
	pre, err := luaFiles.ReadFile("lua/prelude.lua")
	if err != nil {
		panic(err)
	}
	if head, tail, ok := strings.Cut(string(body), preludeMark); ok {
		return redis.NewScript(head + string(pre) + "\n" + tail)
	}
	return redis.NewScript(string(pre) + "\n" + string(body))
}

var (
	acquireScript   = script("acquire", true)
	releaseScript   = script("release", true)
	extendScript    = script("extend", true)
	leaveScript     = script("leave", true)
	inspectScript   = script("inspect", true)
	fencedSetScript = script("fenced_set", false)
)
