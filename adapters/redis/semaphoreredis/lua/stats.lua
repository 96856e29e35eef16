-- stats: a pool's capacity, use, holders and waiters, counting only live leases. Read-only.
-- KEYS     the five keys of the pool (see the prelude)
-- ARGV[1]  now ms (0: Redis TIME)
-- Returns {capacity, used, holders, live waiters}, or {-1} when the pool does not exist.
local now = now_ms(ARGV[1])
local cap = redis.call('HGET', k.p, 'cap')
if not cap then return {-1} end
local live = redis.call('ZRANGEBYSCORE', k.h, '(' .. num(now), '+inf')
local inuse = 0
if #live > 0 then
  for _, w in ipairs(redis.call('HMGET', k.n, unpack(live))) do inuse = inuse + tonumber(w or '1') end
end
local waiters = 0
for _, v in ipairs(redis.call('HVALS', k.w)) do
  local ends = parse_waiter(v)
  if ends and ends > now then waiters = waiters + 1 end
end
return {tonumber(cap), inuse, #live, waiters}
