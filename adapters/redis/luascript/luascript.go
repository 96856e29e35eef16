// Package luascript builds the Redis scripts of the Redis adapters from their embedded Lua files. A module
// keeps its helpers in a prelude file and each operation in a file of its own; a script is the prelude
// followed by the operation's file or, when that file holds a "-- @prelude" line, the prelude put in that
// line's place, so a script can first run a self-contained fast path that returns before the prelude's
// functions are built (Redis runs a script's whole body, helper definitions included, on every call).
package luascript

import (
	"io/fs"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Mark is the line of a script file where the prelude goes when it does not go on top.
const Mark = "-- @prelude\n"

// Files reads the Lua files of one adapter: name.lua in one directory of a file system (usually an
// embed.FS).
type Files struct {
	fsys fs.FS
	dir  string
}

// New reads the files of dir in fsys.
func New(fsys fs.FS, dir string) Files { return Files{fsys: fsys, dir: dir} }

// Read returns the text of the named file (without ".lua"). The files are embedded at build time, so a
// missing one is a defect of the build: Read panics.
func (f Files) Read(name string) string {
	b, err := fs.ReadFile(f.fsys, f.dir+"/"+name+".lua")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Script is the named file alone.
func (f Files) Script(name string) *redis.Script { return redis.NewScript(f.Read(name)) }

// WithPrelude is the script made of the prelude file and the named file: the prelude first, or at the
// file's Mark line.
func (f Files) WithPrelude(prelude, name string) *redis.Script {
	return redis.NewScript(Join(f.Read(prelude), f.Read(name)))
}

// Join puts prelude in place of body's Mark line, or before body when it has none.
func Join(prelude, body string) string {
	if head, tail, ok := strings.Cut(body, Mark); ok {
		return head + prelude + "\n" + tail
	}
	return prelude + "\n" + body
}
