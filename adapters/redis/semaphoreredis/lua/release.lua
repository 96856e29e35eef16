-- release: give a permit's weight back to the pool and grant it to the queue in order.
-- KEYS     the five keys of the pool (see the prelude)
-- ARGV[1]  permit id   ARGV[2] now ms (0: Redis TIME)
-- Returns 1 when the permit was held (and is released), else 0.
local now = clock(ARGV[2])
prune(now)
local held = 0
if holds(ARGV[1], now) then
  drop(ARGV[1])
  held = 1
end
if redis.call('EXISTS', k.q) == 1 then settle(now, nil) end
return held
