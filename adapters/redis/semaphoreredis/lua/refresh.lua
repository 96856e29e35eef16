-- refresh: set the remaining lease of a held permit.
-- KEYS     the five keys of the pool (see the prelude)
-- ARGV[1]  permit id   ARGV[2] lease ms   ARGV[3] now ms (0: Redis TIME)
-- Returns 1 when the permit was held (and is refreshed), else 0.
local now = now_ms(ARGV[3])
if not holds(ARGV[1], now) then return 0 end
redis.call('ZADD', k.h, 'XX', num(now + tonumber(ARGV[2])), ARGV[1])
return 1
