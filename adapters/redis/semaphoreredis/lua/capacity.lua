-- capacity: create a pool or change its capacity, then grant waiting requests that now fit (a smaller
-- capacity takes nothing back).
-- KEYS     the five keys of the pool (see the prelude)
-- ARGV[1]  capacity   ARGV[2] now ms (0: Redis TIME)
-- Returns {capacity, used, holders, live waiters}.
local now = now_ms(ARGV[2])
redis.call('HSET', k.p, 'cap', ARGV[1])
prune(now)
if redis.call('EXISTS', k.q) == 1 then settle(now, nil) end
local waiters = 0
for _, v in ipairs(redis.call('HVALS', k.w)) do
  local ends = parse_waiter(v)
  if ends and ends > now then waiters = waiters + 1 end
end
return {tonumber(ARGV[1]), used(), redis.call('ZCARD', k.h), waiters}
