-- delete: remove a pool with its holders and queue; tell each live waiter to look again (it then finds no
-- pool).
-- KEYS     the five keys of the pool (see the prelude)
-- ARGV[1]  now ms (0: Redis TIME)
-- Returns 1 when the pool existed, else 0.
local now = now_ms(ARGV[1])
local existed = redis.call('EXISTS', k.p)
for _, id in ipairs(redis.call('LRANGE', k.q, 0, -1)) do
  local v = redis.call('HGET', k.w, id)
  if v then
    local ends, _, _, chan = parse_waiter(v)
    if ends and ends > now then redis.call('PUBLISH', chan, id .. ' 0') end
  end
end
redis.call('DEL', k.p, k.h, k.n, k.q, k.w)
return existed
