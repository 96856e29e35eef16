-- delete: remove a job that is not running, with its data and its unique key.
-- KEYS[1] the job's hash
-- ARGV[1] key base   ARGV[2] job id
-- Returns 1 when deleted, 0 when there is no such job, -1 (and changes nothing) for an active job.
local id = ARGV[2]
local f = redis.call('HMGET', KEYS[1], 's', 'pr', 'u')
if not f[1] then return 0 end
if f[1] == 'active' then return -1 end
if f[1] == 'pending' then
  redis.call('LREM', rkey(tonumber(f[2] or '0')), 1, id)
else
  local z = ({scheduled = 'scheduled', retry = 'retry', dead = 'dead', completed = 'done'})[f[1]]
  if z then redis.call('ZREM', B .. z, id) end
end
redis.call('DEL', KEYS[1])
release_unique(f[3], id)
return 1
