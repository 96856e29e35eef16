-- stock: read, set or adjust a SKU's stock.
-- KEYS[1] the SKU's stock (hash)   KEYS[2] its reservation expiries (zset)
-- ARGV[1] mode: "get", "set" or "adjust"   ARGV[2] set: units on hand; adjust: units to add (may be negative)
-- ARGV[3] set: unit price cents   ARGV[4] now ms (0: server time)   ARGV[5] max units on hand
-- Returns {1, on hand, reserved, sold, price}; {-5} unknown SKU (get, adjust); {-7, on hand, reserved,
-- sold, price} fewer units on hand than reserved; {-8} more units on hand than the maximum.
local mode = ARGV[1]
local exists = redis.call('EXISTS', KEYS[1]) == 1
if not exists and mode ~= 'set' then return {-5} end
if exists then purge(KEYS[1], KEYS[2], now_ms(ARGV[4])) end
local on, res, sold, price = state(KEYS[1])
if mode == 'get' then return {1, on, res, sold, price} end
local n = tonumber(ARGV[2])
if mode == 'adjust' then n = on + n end
if n < res then return {-7, on, res, sold, price} end
if n > tonumber(ARGV[5]) then return {-8} end
if mode == 'set' then price = tonumber(ARGV[3]) end
redis.call('HSET', KEYS[1], 'v', '1', 'stock', n, 'reserved', res, 'sold', sold, 'price', price)
return {1, n, res, sold, price}
