-- get: one job with its lease (read only).
-- KEYS[1] the job's hash   KEYS[2] the queue's active set
-- ARGV[1] key base   ARGV[2] job id
-- Returns {lease expiry ms or false, field, value, ...}; {false} when there is no such job.
local out = {redis.call('ZSCORE', KEYS[2], ARGV[2])}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
return out
