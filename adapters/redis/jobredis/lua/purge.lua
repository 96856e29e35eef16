-- purge: remove up to ARGV[2] of the oldest dead jobs with their data.
-- KEYS[1] the queue's dead set
-- ARGV[1] key base   ARGV[2] batch size
-- Returns how many were removed.
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
for _, id in ipairs(ids) do redis.call('DEL', jkey(id)) end
if #ids > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #ids - 1) end
return #ids
