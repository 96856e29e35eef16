-- commit: sell units of a SKU for an order, once per order. The units come from the cart's reservation
-- first, then from available stock; the cart's reservation is released.
-- KEYS[1] the SKU's stock (hash)   KEYS[2] its reservation expiries (zset)   KEYS[3] its orders (zset:
-- order id -> ms)
-- ARGV[1] holder   ARGV[2] units to sell   ARGV[3] order id   ARGV[4] now ms (0: server time)
-- ARGV[5] how long order entries are kept (ms)
-- Returns 1 sold now; 2 sold for this order before; -5 unknown SKU; -6 not enough stock (nothing changed).
local stock, expiries, orders = KEYS[1], KEYS[2], KEYS[3]
if redis.call('ZSCORE', orders, ARGV[3]) then return 2 end
if redis.call('EXISTS', stock) == 0 then return -5 end
local now = now_ms(ARGV[4])
purge(stock, expiries, now)
redis.call('ZREMRANGEBYSCORE', orders, '-inf', now - tonumber(ARGV[5]))
local on, res, sold = state(stock)
local have = held(stock, ARGV[1])
local q = tonumber(ARGV[2])
if q - math.min(have, q) > on - res then return -6 end
redis.call('HSET', stock, 'stock', on - q, 'reserved', res - have, 'sold', sold + q)
hold(stock, expiries, ARGV[1], 0, 0)
redis.call('ZADD', orders, now, ARGV[3])
return 1
