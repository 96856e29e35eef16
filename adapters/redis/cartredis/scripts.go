package cartredis

import (
	"context"
	"embed"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/luascript"
)

//go:embed lua/*.lua
var luaFS embed.FS

var luaFiles = luascript.New(luaFS, "lua").With(luascript.NowMs)

// script builds a script: the named prelude followed by the named file.
func script(prelude, name string) *redis.Script { return luaFiles.WithPrelude(prelude, name) }

var (
	createScript         = script("cart_prelude", "create")
	changeScript         = script("cart_prelude", "change")
	removeScript         = script("cart_prelude", "remove")
	detachScript         = script("cart_prelude", "detach")
	mergeScript          = script("cart_prelude", "merge")
	mergeDoneScript      = script("cart_prelude", "merge_done")
	checkoutBeginScript  = script("cart_prelude", "checkout_begin")
	checkoutFinishScript = script("cart_prelude", "checkout_finish")
	checkoutAbortScript  = script("cart_prelude", "checkout_abort")

	stockScript    = script("stock_prelude", "stock")
	reserveScript  = script("stock_prelude", "reserve")
	transferScript = script("stock_prelude", "transfer")
	commitScript   = script("stock_prelude", "commit")
	uncommitScript = script("stock_prelude", "uncommit")
)

// call is one script run with its keys and arguments, for pipelining.
type call struct {
	script *redis.Script
	keys   []string
	args   []any
}

// runAll runs calls in one pipeline (one round trip; on a cluster, one per node, in parallel) by EVALSHA and
// returns their replies in order. A script a server has not cached yet (NOSCRIPT) is sent again in full by
// EVAL, which caches it: that second round trip happens once per script and server.
func runAll(ctx context.Context, c redis.UniversalClient, calls []call) ([]*redis.Cmd, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.Cmd, len(calls))
	pipe := c.Pipeline()
	for i, cl := range calls {
		cmds[i] = cl.script.EvalSha(ctx, pipe, cl.keys, cl.args...)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below
	var missing []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		pipe = c.Pipeline()
		for _, i := range missing {
			cmds[i] = calls[i].script.Eval(ctx, pipe, calls[i].keys, calls[i].args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	var errs []error
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
			errs = append(errs, err)
		}
	}
	return cmds, errors.Join(errs...)
}
