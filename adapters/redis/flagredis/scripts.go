package flagredis

import (
	"embed"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/luascript"
)

//go:embed lua/*.lua
var luaFS embed.FS

var luaFiles = luascript.New(luaFS, "lua")

// script builds a flag script: the shared prelude followed by the named file.
func script(name string) *redis.Script { return luaFiles.WithPrelude("prelude", name) }

var (
	allScript    = script("all")
	putScript    = script("put")
	enableScript = script("set_enabled")
	deleteScript = script("delete")
	recordScript = script("record_audit")
)
