-- inspect: a lock's state, without its token. Read-only.
-- KEYS     the five keys of one lock name (see the prelude)
-- ARGV[1]  now ms (0: Redis TIME)
-- Returns {mode ('' free, 'x' or 's'), holders, remaining lease ms, last fence (0 none), live waiters}.
local now = clock(ARGV[1])
local k = lock_keys(1)
local fence = tonumber(redis.call('GET', k.f) or '0')
local waiters = 0
for _, v in ipairs(redis.call('HVALS', k.w)) do
  local ends = slow().parse_waiter(v)
  if ends and ends > now then waiters = waiters + 1 end
end
local left = redis.call('PTTL', k.x)
if left ~= -2 then return {'x', 1, math.max(left, 1), fence, waiters} end
local live = redis.call('ZRANGEBYSCORE', k.s, '(' .. num(now), '+inf', 'WITHSCORES')
if #live > 0 then
  return {'s', #live / 2, tonumber(live[#live]) - now, fence, waiters}
end
return {'', 0, 0, fence, waiters}
