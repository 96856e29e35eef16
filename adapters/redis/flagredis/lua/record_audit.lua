-- record_audit: add an entry to a flag's audit trail once per version, keeping the newest entries.
-- KEYS[1] the flag's audit trail (sorted set: entry JSON scored by version)
-- ARGV[1] version   ARGV[2] entry JSON   ARGV[3] how many entries to keep
-- Returns 1 when the entry was added, 0 when an entry with that version was already there.
if redis.call('ZCOUNT', KEYS[1], ARGV[1], ARGV[1]) > 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1) end
return 1
