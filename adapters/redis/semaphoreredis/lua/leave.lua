-- leave: take a waiter out of the queue; release its permits if they were granted to it meanwhile.
-- KEYS     the five keys of the pool (see the prelude)
-- ARGV[1]  permit id   ARGV[2] now ms (0: Redis TIME)
-- Returns 1 when the waiter held permits (now released), else 0.
local now = now_ms(ARGV[2])
redis.call('LREM', k.q, 0, ARGV[1])
redis.call('HDEL', k.w, ARGV[1])
prune(now)
local held = 0
if holds(ARGV[1], now) then
  drop(ARGV[1])
  held = 1
end
if redis.call('EXISTS', k.q) == 1 then settle(now, nil) end
return held
