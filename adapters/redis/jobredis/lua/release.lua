-- release: return running jobs to the front of their priority list without counting the attempt
-- (graceful shutdown of their worker).
-- KEYS[1] the queue's active set
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)   ARGV[3 ..] pairs id, run
-- Returns how many were released (a run the worker no longer held is left alone).
local now = now_ms(ARGV[2])
local n = 0
for i = 3, #ARGV, 2 do
  local id, run = ARGV[i], ARGV[i + 1]
  local k = jkey(id)
  local f = redis.call('HMGET', k, 's', 'rn', 'a', 'pr')
  if f[1] == 'active' and f[2] == run then
    redis.call('ZREM', KEYS[1], id)
    redis.call('HSET', k, 's', 'pending', 'a', math.max(0, tonumber(f[3]) - 1), 'rt', now)
    redis.call('LPUSH', rkey(tonumber(f[4] or '0')), id)
    n = n + 1
  end
end
if n > 0 then notify(now) end
return n
