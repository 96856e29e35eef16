-- change: add units of a SKU to a cart (creating or growing the line) or set an existing line's quantity.
-- KEYS[1] the cart (hash)
-- ARGV[1] mode: "add" or "set"   ARGV[2] sku   ARGV[3] add: units to add; set: the new quantity
-- ARGV[4] unit price cents (add)   ARGV[5] now ms (0: server time)   ARGV[6] cart ttl ms
-- ARGV[7] "1" when the cart must exist already (a guest cart)   ARGV[8] max lines   ARGV[9] max quantity
-- Returns {1, quantity, unit price, added ms}; {0} no such cart; {-1} a checkout holds the cart;
-- {-2} no such line (set); {-3} the cart would pass max lines or the line max quantity.
local key, field = KEYS[1], 'l:' .. ARGV[2]
local h = redis.call('HMGET', key, 'c', 'co', field)
if not h[1] then
  if ARGV[7] == '1' then return {0} end
elseif h[2] then
  return {-1}
end
local now = now_ms(ARGV[5])
local cur = h[3]
local q, p, a
if cur then q, p, a = decode(cur) end
if ARGV[1] == 'set' then
  if not cur then return {-2} end
  q = tonumber(ARGV[3])
else
  if cur then
    q = q + tonumber(ARGV[3])
  else
    if h[1] and count_lines(key) >= tonumber(ARGV[8]) then return {-3} end
    q, a = tonumber(ARGV[3]), now
  end
  p = tonumber(ARGV[4])
end
if q > tonumber(ARGV[9]) then return {-3} end
if h[1] then
  redis.call('HSET', key, field, encode(q, p, a), 'm', now)
else
  redis.call('HSET', key, field, encode(q, p, a), 'v', '1', 'c', now, 'm', now)
end
redis.call('PEXPIRE', key, ARGV[6])
return {1, q, p, a}
