-- extend: push out the leases of running jobs, never past a run's start + timeout + grace.
-- KEYS[1] the queue's active set
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)   ARGV[3] lease ms   ARGV[4] grace ms
-- ARGV[5 ..] pairs id, run
-- Returns {now, id, run, id, run, ...}: the runs the worker no longer holds (finished, expired, deleted).
local now = now_ms(ARGV[2])
local lease, grace = tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {now}
for i = 5, #ARGV, 2 do
  local id, run = ARGV[i], ARGV[i + 1]
  local f = redis.call('HMGET', jkey(id), 's', 'rn', 'st', 'to')
  if f[1] == 'active' and f[2] == run then
    local cap = tonumber(f[3]) + tonumber(f[4]) + grace
    redis.call('ZADD', KEYS[1], 'XX', math.min(now + lease, cap), id)
  else
    out[#out + 1] = id
    out[#out + 1] = run
  end
end
return out
