-- Shared by every cart script (prepended when the script is built, after the shared now_ms).
-- A cart is a hash: v format version, c created ms, m last change ms, l:<sku> one line encoded as
-- "<quantity>,<unit price cents>,<added ms>", and while a checkout holds it co (order id) and cu (lease end ms).
-- decode(v): quantity, unit price and added ms of an encoded line.
local function decode(v)
  local q, p, a = string.match(v, '^(%d+),(%d+),(%d+)$')
  return tonumber(q), tonumber(p), tonumber(a)
end

local function encode(q, p, a)
  return string.format('%d,%d,%d', q, p, a)
end

-- lines(key): every line of a cart as a flat list sku, encoded line, sku, encoded line, ...
local function lines(key)
  local out = {}
  local h = redis.call('HGETALL', key)
  for i = 1, #h, 2 do
    if string.sub(h[i], 1, 2) == 'l:' then
      out[#out + 1] = string.sub(h[i], 3)
      out[#out + 1] = h[i + 1]
    end
  end
  return out
end

-- count_lines(key): how many lines a cart has.
local function count_lines(key)
  local n = 0
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if string.sub(f, 1, 2) == 'l:' then n = n + 1 end
  end
  return n
end

-- touch(key, now, ttl): records a change and restarts the cart's lifetime, creating the cart if needed.
local function touch(key, now, ttl)
  if redis.call('HSETNX', key, 'c', now) == 1 then redis.call('HSET', key, 'v', '1') end
  redis.call('HSET', key, 'm', now)
  redis.call('PEXPIRE', key, ttl)
end
