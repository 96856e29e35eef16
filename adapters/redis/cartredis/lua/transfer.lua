-- transfer: move one cart's reservation of a SKU to another cart (a guest cart merged into a user's).
-- KEYS[1] the SKU's stock (hash)   KEYS[2] its reservation expiries (zset)
-- ARGV[1] holder giving   ARGV[2] holder receiving   ARGV[3] units the receiver should hold
-- ARGV[4] reservation ttl ms   ARGV[5] now ms (0: server time)
-- Returns the units the receiver holds now (as many as wanted that both reservations plus available stock
-- cover); 0 for an unknown SKU.
local stock, expiries = KEYS[1], KEYS[2]
if redis.call('EXISTS', stock) == 0 then return 0 end
local now = now_ms(ARGV[5])
purge(stock, expiries, now)
local on, res = state(stock)
local pool = held(stock, ARGV[1]) + held(stock, ARGV[2])
local want = tonumber(ARGV[3])
if want > pool then want = pool + math.max(math.min(want - pool, on - res), 0) end
redis.call('HSET', stock, 'reserved', res - pool + want)
hold(stock, expiries, ARGV[1], 0, 0)
hold(stock, expiries, ARGV[2], want, now + tonumber(ARGV[4]))
return want
