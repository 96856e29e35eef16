package semaphoreredis

import (
	"embed"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script builds a semaphore script: the shared prelude followed by the named file.
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
	acquireScript  = script("acquire")
	refreshScript  = script("refresh")
	releaseScript  = script("release")
	leaveScript    = script("leave")
	capacityScript = script("capacity")
	statsScript    = script("stats")
	deleteScript   = script("delete")
)
