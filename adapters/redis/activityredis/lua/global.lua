-- global: append one activity to the global feed unless its idempotency key was seen.
-- KEYS[1] the global feed (stream)   KEYS[2] the idempotency marker in the global slot (string)
-- ARGV[1] activity id   ARGV[2] user id   ARGV[3] action   ARGV[4] object   ARGV[5] properties JSON
-- ARGV[6] session id   ARGV[7] now ms (0: server time)   ARGV[8] approximate max length
-- ARGV[9] dedupe window ms (0: no dedupe)
-- Returns the new entry id, or false for a duplicate.
if ARGV[9] ~= '0' and redis.call('EXISTS', KEYS[2]) == 1 then return false end
local now = now_ms(ARGV[7])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[8], next_id(KEYS[1], ARGV[7], now),
  'v', '1', 'i', ARGV[1], 'u', ARGV[2], 'a', ARGV[3], 'o', ARGV[4], 'p', ARGV[5], 's', ARGV[6])
if ARGV[9] ~= '0' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[9]) end
return id
