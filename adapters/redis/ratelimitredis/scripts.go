package ratelimitredis

import (
	"embed"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/luascript"
	"github.com/statekit/statekit/domain/ratelimit"
)

//go:embed lua/*.lua
var luaFS embed.FS

var luaFiles = luascript.New(luaFS, "lua")

// files names each strategy's Lua file.
var files = map[ratelimit.Strategy]string{
	ratelimit.FixedWindow:    "fixed_window",
	ratelimit.SlidingLog:     "sliding_log",
	ratelimit.SlidingCounter: "sliding_counter",
	ratelimit.TokenBucket:    "token_bucket",
	ratelimit.GCRA:           "gcra",
}

// build makes a script of the prelude, the named strategies and the run.lua driver.
func build(strategies ...ratelimit.Strategy) *redis.Script {
	parts := []string{luaFiles.Read("prelude")}
	for _, s := range strategies {
		parts = append(parts, luaFiles.Read(files[s]))
	}
	parts = append(parts, luaFiles.Read("run"))
	return redis.NewScript(strings.Join(parts, "\n"))
}

// One script per strategy (a policy whose tiers all use it runs that script), and the multi-tier script
// holding every strategy, for policies that mix them. All run the same driver, run.lua.
var (
	strategyScripts = func() map[ratelimit.Strategy]*redis.Script {
		m := map[ratelimit.Strategy]*redis.Script{}
		for _, s := range ratelimit.Strategies {
			m[s] = build(s)
		}
		return m
	}()
	multiScript = build(ratelimit.Strategies...)
	// gcraSingleScript is the straight-through form of strategyScripts[GCRA] for a policy of one tier.
	gcraSingleScript = redis.NewScript(luaFiles.Read("gcra_single"))
)

// scriptFor picks the script for a policy's tiers.
func scriptFor(p ratelimit.Policy) *redis.Script {
	s := p.Tiers[0].Strategy
	if len(p.Tiers) == 1 && s == ratelimit.GCRA {
		return gcraSingleScript
	}
	for _, t := range p.Tiers[1:] {
		if t.Strategy != s {
			return multiScript
		}
	}
	return strategyScripts[s]
}
