-- uncommit: undo commit for an order whose checkout failed; the units go back to the cart as a reservation.
-- KEYS[1] the SKU's stock (hash)   KEYS[2] its reservation expiries (zset)   KEYS[3] its orders (zset)
-- ARGV[1] holder   ARGV[2] units sold   ARGV[3] order id   ARGV[4] now ms (0: server time)
-- ARGV[5] reservation ttl ms
-- Returns 1 undone now; 0 nothing was sold for this order.
local stock, expiries, orders = KEYS[1], KEYS[2], KEYS[3]
if redis.call('ZREM', orders, ARGV[3]) == 0 then return 0 end
local now = now_ms(ARGV[4])
purge(stock, expiries, now)
local on, res, sold = state(stock)
local q = tonumber(ARGV[2])
local have = held(stock, ARGV[1])
redis.call('HSET', stock, 'stock', on + q, 'reserved', res + q, 'sold', sold - q)
hold(stock, expiries, ARGV[1], have + q, now + tonumber(ARGV[5]))
return 1
