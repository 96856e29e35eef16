package luascript_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/statekit/statekit/adapters/redis/luascript"
	"github.com/statekit/statekit/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

func TestWith(t *testing.T) {
	files := luascript.New(fstest.MapFS{
		"lua/prelude.lua": {Data: []byte("local function p() end\n")},
		"lua/op.lua":      {Data: []byte("if fast then return 0 end\n" + luascript.Mark + "return p()\n")},
	}, "lua")
	plain := files.WithPrelude("prelude", "op").Hash()
	with := files.With(luascript.NowMs, luascript.Num)
	if with.WithPrelude("prelude", "op").Hash() == plain {
		t.Fatal("With changed nothing")
	}
	if p := with.Prelude("prelude"); !strings.HasPrefix(p, "-- now_ms") || !strings.HasSuffix(p, "local function p() end\n") {
		t.Errorf("Prelude = %q, want the helpers, then the module's prelude", p)
	}
	if files.WithPrelude("prelude", "op").Hash() != plain {
		t.Fatal("With changed the Files it was called on")
	}
	defer func() {
		if recover() == nil {
			t.Error("With of an unknown helper did not panic")
		}
	}()
	files.With("no_such_helper")
}

// The shared helpers behave as every module's scripts rely on, on a real Redis.
func TestHelpersOnRedis(t *testing.T) {
	tg := harness.Standalone(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	files := luascript.New(fstest.MapFS{
		"lua/prelude.lua": {Data: []byte("")},
		"lua/now.lua":     {Data: []byte("return now_ms(ARGV[1])\n")},
		"lua/num.lua":     {Data: []byte("return num(tonumber(ARGV[1]) * 1000)\n")},
	}, "lua").With(luascript.NowMs, luascript.Num)
	now := files.WithPrelude("prelude", "now")
	for _, c := range []struct {
		arg  string
		want int64 // 0: the server's clock
	}{{"1234", 1234}, {"0", 0}, {"", 0}, {"-5", 0}, {"soon", 0}} {
		got, err := now.Run(ctx, tg.Client, nil, c.arg).Int64()
		if err != nil {
			t.Fatalf("now_ms(%q): %v", c.arg, err)
		}
		if c.want != 0 && got != c.want {
			t.Errorf("now_ms(%q) = %d, want %d", c.arg, got, c.want)
		}
		if c.want == 0 {
			server, err := tg.Client.Time(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			if d := server.UnixMilli() - got; d < 0 || d > 5000 {
				t.Errorf("now_ms(%q) = %d, server time %d", c.arg, got, server.UnixMilli())
			}
		}
	}
	got, err := files.WithPrelude("prelude", "num").Run(ctx, tg.Client, nil, "1234567890123").Text()
	if err != nil || got != "1234567890123000" {
		t.Errorf("num = %q, %v; want 1234567890123000", got, err)
	}
}
