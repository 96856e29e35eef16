package luascript_test

import (
	"testing"
	"testing/fstest"

	"github.com/statekit/statekit/adapters/redis/luascript"
)

func TestJoin(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"prelude on top", "return f()\n", "local function f() end\nreturn f()\n"},
		{"prelude at the mark", "if fast then return 1 end\n" + luascript.Mark + "return f()\n",
			"if fast then return 1 end\nlocal function f() end\nreturn f()\n"},
	} {
		if got := luascript.Join("local function f() end", c.body); got != c.want {
			t.Errorf("%s: Join = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestFiles(t *testing.T) {
	files := luascript.New(fstest.MapFS{
		"lua/prelude.lua": {Data: []byte("local function f() return 1 end")},
		"lua/get.lua":     {Data: []byte("return f()\n")},
		"lua/alone.lua":   {Data: []byte("return 2\n")},
	}, "lua")
	if got, want := files.WithPrelude("prelude", "get").Hash(), luascript.New(fstest.MapFS{
		"x/a.lua": {Data: []byte("local function f() return 1 end\nreturn f()\n")},
	}, "x").Script("a").Hash(); got != want {
		t.Errorf("WithPrelude hash %s, want that of the joined text %s", got, want)
	}
	if got := files.Read("alone"); got != "return 2\n" {
		t.Errorf("Read = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("reading a missing file did not panic")
		}
	}()
	files.Read("missing")
}
