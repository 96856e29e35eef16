-- acquire: take weight permits of a pool for a permit id, all or none, never overtaking a queued waiter.
-- KEYS     the five keys of the pool (see the prelude)
-- ARGV[1]  permit id   ARGV[2] weight   ARGV[3] lease ms   ARGV[4] capacity to create the pool with (0: none)
-- ARGV[5]  1 to queue when the permits are not free, else 0   ARGV[6] queue entry lifetime ms
-- ARGV[7]  the waiter's wake channel   ARGV[8] now ms (0: Redis TIME)
-- Returns {1} when the id holds the permits (now or from an earlier hand-over), {0, ms until the first
-- holder's lease ends} when not, {-1} when the pool has no capacity, {-2, capacity} when weight exceeds it.
local id, weight, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms(ARGV[8])
if tonumber(ARGV[4]) > 0 then redis.call('HSETNX', k.p, 'cap', ARGV[4]) end
local cap = tonumber(redis.call('HGET', k.p, 'cap') or '0')
if cap == 0 then return {-1} end
if weight > cap then
  redis.call('LREM', k.q, 0, id)
  redis.call('HDEL', k.w, id)
  return {-2, cap}
end

prune(now)
if redis.call('EXISTS', k.q) == 1 and settle(now, id) then return {1} end
if holds(id, now) then return {1} end
if redis.call('EXISTS', k.q) == 0 and used() + weight <= cap then
  grant(id, weight, ttl, now)
  return {1}
end
if ARGV[5] == '1' then
  local life = tonumber(ARGV[6])
  if redis.call('HEXISTS', k.w, id) == 0 then redis.call('RPUSH', k.q, id) end
  redis.call('HSET', k.w, id, num(now + life) .. ' ' .. ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[7])
  redis.call('PEXPIRE', k.q, 2 * life)
  redis.call('PEXPIRE', k.w, 2 * life)
end
return {0, next_expiry(now)}
