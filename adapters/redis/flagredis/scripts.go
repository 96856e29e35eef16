package flagredis

import (
	"embed"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script builds a flag script: the shared prelude followed by the named file.
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
	allScript    = script("all")
	putScript    = script("put")
	enableScript = script("set_enabled")
	deleteScript = script("delete")
	recordScript = script("record_audit")
)
