-- create: store an empty guest cart.
-- KEYS[1] the cart (hash)
-- ARGV[1] now ms (0: server time)   ARGV[2] cart ttl ms
-- Returns {1, created ms}, or {0} when the id is taken (never for a freshly drawn id).
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local now = now_ms(ARGV[1])
touch(KEYS[1], now, ARGV[2])
return {1, now}
