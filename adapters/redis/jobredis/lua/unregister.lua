-- unregister: a stopping worker stops being idle; jobs handed to its inbox that it never took return to the
-- front of their priority list without counting the attempt, and go to other idle workers.
-- KEYS[1] the worker's inbox
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)   ARGV[3] inbox id
-- Returns how many jobs were returned.
local now = now_ms(ARGV[2])
unregister_idle(ARGV[3])
local n = 0
for _, row in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local a = string.find(row, '\0', 1, true)
  local b = a and string.find(row, '\0', a + 1, true)
  if b then
    local id, run = string.sub(row, 1, a - 1), string.sub(row, a + 1, b - 1)
    local k = jkey(id)
    local f = redis.call('HMGET', k, 's', 'rn', 'a', 'pr')
    if f[1] == 'active' and f[2] == run then
      redis.call('ZREM', B .. 'active', id)
      redis.call('HSET', k, 's', 'pending', 'a', math.max(0, tonumber(f[3]) - 1), 'rt', now)
      redis.call('LPUSH', rkey(tonumber(f[4] or '0')), id)
      n = n + 1
    end
  end
end
redis.call('DEL', KEYS[1])
if n > 0 then notify(now) end
return n
