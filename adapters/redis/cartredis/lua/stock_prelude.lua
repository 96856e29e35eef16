-- Shared by every inventory script (prepended when the script is built, after the shared now_ms).
-- A SKU's stock is a hash: v format version, stock units on hand, reserved units held by live
-- reservations, sold units, price unit price cents, r:<holder> the units one cart holds. Beside it, in the
-- same slot, a sorted set of reservation expiries (holder -> expiry ms) and a sorted set of the orders that
-- took units (order id -> ms), which makes each checkout step happen once.
-- purge(stock, expiries, now): gives the units of expired reservations back (at most 1000 per call;
-- any left over stay counted as reserved until the next call, which can only understate what is
-- available). Every script that reads or changes stock calls it first: reservations return their units by
-- themselves, with no sweeper.
local function purge(stock, expiries, now)
  local gone = redis.call('ZRANGEBYSCORE', expiries, '-inf', now, 'LIMIT', 0, 1000)
  if #gone == 0 then return end
  local back = 0
  for _, h in ipairs(gone) do
    local q = redis.call('HGET', stock, 'r:' .. h)
    if q then
      back = back + tonumber(q)
      redis.call('HDEL', stock, 'r:' .. h)
    end
  end
  redis.call('ZREM', expiries, unpack(gone))
  redis.call('HINCRBY', stock, 'reserved', -back)
end

-- state(stock): units on hand, reserved, sold, and the unit price.
local function state(stock)
  local s = redis.call('HMGET', stock, 'stock', 'reserved', 'sold', 'price')
  return tonumber(s[1]) or 0, tonumber(s[2]) or 0, tonumber(s[3]) or 0, tonumber(s[4]) or 0
end

-- held(stock, holder): the units a holder's live reservation holds (purge has run).
local function held(stock, holder)
  return tonumber(redis.call('HGET', stock, 'r:' .. holder) or '0')
end

-- hold(stock, expiries, holder, q, expires): records a holder's reservation (q = 0 drops it).
local function hold(stock, expiries, holder, q, expires)
  if q > 0 then
    redis.call('HSET', stock, 'r:' .. holder, q)
    redis.call('ZADD', expiries, expires, holder)
  else
    redis.call('HDEL', stock, 'r:' .. holder)
    redis.call('ZREM', expiries, holder)
  end
end
