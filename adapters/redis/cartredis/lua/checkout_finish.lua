-- checkout_finish: record the order, empty the cart and unfreeze it.
-- KEYS[1] the cart (hash)   KEYS[2] the order record (hash: lines JSON, total cents, at ms)
-- ARGV[1] order id   ARGV[2] lines (JSON)   ARGV[3] total cents   ARGV[4] now ms (0: server time)
-- ARGV[5] order ttl ms   ARGV[6] cart ttl ms
-- Returns {1, at ms} recorded now; {2, at ms} recorded before; {0} the order does not hold the cart.
local at = redis.call('HGET', KEYS[2], 'at')
if at then return {2, tonumber(at)} end
if redis.call('HGET', KEYS[1], 'co') ~= ARGV[1] then return {0} end
local now = now_ms(ARGV[4])
redis.call('HSET', KEYS[2], 'lines', ARGV[2], 'total', ARGV[3], 'at', now)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if f == 'co' or f == 'cu' or string.sub(f, 1, 2) == 'l:' then redis.call('HDEL', KEYS[1], f) end
end
touch(KEYS[1], now, ARGV[6])
return {1, now}
