-- reserve: change or read what one cart holds of a SKU. Never takes more than is available.
-- KEYS[1] the SKU's stock (hash)   KEYS[2] its reservation expiries (zset)
-- ARGV[1] holder ("u:<user id>" or "g:<guest cart id>")
-- ARGV[2] mode: "add" (ARGV[3] units to add, may be negative), "set" (ARGV[3] the units to hold),
--   "fit" (ARGV[3] the units wanted: hold as many as are available, never failing), "get" (read only)
-- ARGV[3] units   ARGV[4] reservation ttl ms   ARGV[5] now ms (0: server time)
-- Returns {1, units held, expiry ms (0 when none), unit price, units available, units held before};
-- {-5} unknown SKU; {-6, units held, expiry ms, unit price, units available} not enough available (nothing
-- changed).
local stock, expiries, holder, mode = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local field = 'r:' .. holder
local now = now_ms(ARGV[5])
if mode ~= 'get' then purge(stock, expiries, now) end
local s = redis.call('HMGET', stock, 'stock', 'reserved', 'price', field)
if not s[1] then return {-5} end
local on, res, price, cur = tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4] or '0')
if mode == 'get' then
  local exp = tonumber(redis.call('ZSCORE', expiries, holder) or '0')
  if exp <= now then return {1, 0, 0, price, on - res, 0} end
  return {1, cur, exp, price, on - res, cur}
end
local want = tonumber(ARGV[3])
if mode == 'add' then want = cur + want end
if want < 0 then want = 0 end
local avail = on - res
if want - cur > avail then
  if mode ~= 'fit' then
    local exp = 0
    if cur > 0 then exp = tonumber(redis.call('ZSCORE', expiries, holder)) end
    return {-6, cur, exp, price, avail}
  end
  want = cur + math.max(avail, 0)
end
res = res + want - cur
local exp = 0
if want > 0 then
  exp = now + tonumber(ARGV[4])
  redis.call('HSET', stock, 'reserved', res, field, want)
  redis.call('ZADD', expiries, exp, holder)
else
  redis.call('HSET', stock, 'reserved', res)
  redis.call('HDEL', stock, field)
  redis.call('ZREM', expiries, holder)
end
return {1, want, exp, price, on - res, cur}
