-- release: give a permit's weight back to the pool and grant it to the queue in order.
-- KEYS     the five keys of the pool (see the prelude)
-- ARGV[1]  permit id   ARGV[2] now ms (0: Redis TIME)
-- ARGV[3]  the caller's wake channel: waiters on it are granted their permits in the reply, not over pub/sub
-- Returns 1 when the permit was held (and is released), else 0; or, when permits went to waiters on the
-- caller's channel, {1 or 0, waiter id, ...}.
local now = now_ms(ARGV[2])
prune(now)
local held = 0
if holds(ARGV[1], now) then
  drop(ARGV[1])
  held = 1
end
local here = {chan = ARGV[3]}
if redis.call('EXISTS', k.q) == 1 then settle(now, nil, here) end
if #here == 0 then return held end
return {held, unpack(here)}
