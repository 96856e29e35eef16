-- remove: remove one line, or every line, of a cart.
-- KEYS[1] the cart (hash)
-- ARGV[1] sku, or "" for every line   ARGV[2] now ms (0: server time)   ARGV[3] cart ttl ms
-- ARGV[4] "1" when the cart must exist already (a guest cart)
-- Returns {1, sku, encoded line, ...} with the removed lines; {0} no such cart; {-1} a checkout holds the
-- cart; {-2} no such line.
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  if ARGV[4] == '1' then return {0} end
  if ARGV[1] == '' then return {1} end
  return {-2}
end
if redis.call('HEXISTS', key, 'co') == 1 then return {-1} end
local out = {1}
if ARGV[1] == '' then
  local l = lines(key)
  for i = 1, #l, 2 do
    redis.call('HDEL', key, 'l:' .. l[i])
    out[#out + 1] = l[i]
    out[#out + 1] = l[i + 1]
  end
else
  local v = redis.call('HGET', key, 'l:' .. ARGV[1])
  if not v then return {-2} end
  redis.call('HDEL', key, 'l:' .. ARGV[1])
  out[2], out[3] = ARGV[1], v
end
touch(key, now_ms(ARGV[2]), ARGV[3])
return out
