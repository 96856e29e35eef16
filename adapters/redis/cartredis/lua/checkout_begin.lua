-- checkout_begin: freeze a cart for a checkout, or resume a checkout whose lease ran out.
-- KEYS[1] the cart (hash)
-- ARGV[1] order id for a new checkout   ARGV[2] now ms (0: server time)   ARGV[3] lease ms
-- ARGV[4] "1" when the cart must exist already (a guest cart)
-- Returns {1, order id, sku, encoded line, ...}; {0} no such cart; {-1} another checkout holds a live
-- lease; {-4} the cart has no lines.
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  if ARGV[4] == '1' then return {0} end
  return {-4}
end
local now = now_ms(ARGV[2])
local held = redis.call('HMGET', key, 'co', 'cu')
if held[1] and now < tonumber(held[2]) then return {-1} end
local l = lines(key)
if #l == 0 then return {-4} end
local order = held[1] or ARGV[1]
redis.call('HSET', key, 'co', order, 'cu', now + tonumber(ARGV[3]))
local out = {1, order}
for _, v in ipairs(l) do out[#out + 1] = v end
return out
