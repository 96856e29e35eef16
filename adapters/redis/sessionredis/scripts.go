package sessionredis

import (
	"embed"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/luascript"
)

//go:embed lua/*.lua
var luaFS embed.FS

var luaFiles = luascript.New(luaFS, "lua").With(luascript.NowMs)

// script builds a session script: the shared prelude followed by the named file.
func script(name string) *redis.Script { return luaFiles.WithPrelude("prelude", name) }

var (
	createScript    = script("create")
	touchScript     = script("touch")
	listScript      = script("list")
	deleteScript    = script("delete")
	deleteAllScript = script("delete_all")
	updateScript    = script("update")
	rotateScript    = script("rotate")
)
