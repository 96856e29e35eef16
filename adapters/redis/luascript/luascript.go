// Package luascript builds the Redis scripts of the Redis adapters from their embedded Lua files. A module
// keeps its helpers in a prelude file and each operation in a file of its own; a script is the prelude
// followed by the operation's file or, when that file holds a "-- @prelude" line, the prelude put in that
// line's place, so a script can first run a self-contained fast path that returns before the prelude's
// functions are built (Redis runs a script's whole body, helper definitions included, on every call).
//
// Helpers that several modules need live here once, in lua/<name>.lua, and a module's prelude builds on
// the ones it names with Files.With (NowMs, Num): they go just before the module's prelude. A module takes
// only the helpers it calls, because each one is a closure Redis builds on every run of the script.
package luascript

import (
	"embed"
	"io/fs"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The shared helpers a module's prelude may build on, by name.
const (
	// NowMs defines now_ms(arg): a test's simulated clock in ms when arg is a number above 0, otherwise
	// Redis TIME in ms (arg may be nil).
	NowMs = "now_ms"
	// Num defines num(n): an integer as a decimal string, never in exponent form.
	Num = "num"
)

//go:embed lua/*.lua
var helperFS embed.FS

var helpers = New(helperFS, "lua")

// Mark is the line of a script file where the prelude goes when it does not go on top.
const Mark = "-- @prelude\n"

// Files reads the Lua files of one adapter: name.lua in one directory of a file system (usually an
// embed.FS).
type Files struct {
	fsys    fs.FS
	dir     string
	helpers string // the shared helpers put before every prelude
}

// New reads the files of dir in fsys.
func New(fsys fs.FS, dir string) Files { return Files{fsys: fsys, dir: dir} }

// With returns f whose scripts built by WithPrelude start with the named shared helpers (NowMs, Num), in
// that order, before the module's prelude. An unknown name is a defect of the build: With panics.
func (f Files) With(names ...string) Files {
	var b strings.Builder
	b.WriteString(f.helpers)
	for _, n := range names {
		b.WriteString(helpers.Read(n))
	}
	f.helpers = b.String()
	return f
}

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

// WithPrelude is the script made of the shared helpers named by With, the prelude file and the named file:
// helpers and prelude first, or at the file's Mark line.
func (f Files) WithPrelude(prelude, name string) *redis.Script {
	return redis.NewScript(Join(f.Prelude(prelude), f.Read(name)))
}

// Prelude is the text of the shared helpers named by With followed by the named prelude file: what
// WithPrelude puts before (or at the Mark line of) an operation's file, for a builder that adds text of
// its own around it.
func (f Files) Prelude(name string) string { return f.helpers + f.Read(name) }

// Join puts prelude in place of body's Mark line, or before body when it has none.
func Join(prelude, body string) string {
	if head, tail, ok := strings.Cut(body, Mark); ok {
		return head + prelude + "\n" + tail
	}
	return prelude + "\n" + body
}
