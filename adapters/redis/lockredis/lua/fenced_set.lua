-- fenced_set: write a value protected by fencing tokens, rejecting a write whose fence is older than one the
-- key already accepted (a newer lock holder has written since).
-- KEYS[1]  the fenced value: hash {v = value, f = the largest fence accepted}
-- ARGV[1]  value   ARGV[2] the writer's fence (positive integer)   ARGV[3] ttl ms (0: no expiry)
-- Returns {1, fence} when written, or {0, the stored fence} when rejected (nothing changes).
local stored = redis.call('HGET', KEYS[1], 'f')
if stored and tonumber(ARGV[2]) < tonumber(stored) then
  return {0, tonumber(stored)}
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'f', ARGV[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('PERSIST', KEYS[1])
end
return {1, tonumber(ARGV[2])}
