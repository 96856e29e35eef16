-- run_now: make a dead, retrying or scheduled job pending at once; a dead job gets its retries back.
-- KEYS[1] the job's hash
-- ARGV[1] key base   ARGV[2] job id   ARGV[3] now ms (0: TIME)
-- Returns 1 when done, 0 when there is no such job, -1 (and changes nothing) for a job in another state.
local now = now_ms(ARGV[3])
local f = redis.call('HMGET', KEYS[1], 's', 'pr')
local sets = {scheduled = 'scheduled', retry = 'retry', dead = 'dead'}
if not f[1] then return 0 end
if not sets[f[1]] then return -1 end
redis.call('ZREM', B .. sets[f[1]], ARGV[2])
if f[1] == 'dead' then redis.call('HSET', KEYS[1], 'a', 0) end
redis.call('HDEL', KEYS[1], 'due', 'f')
redis.call('HSET', KEYS[1], 's', 'pending', 'rt', now)
redis.call('RPUSH', rkey(tonumber(f[2] or '0')), ARGV[2])
notify(now)
return 1
