-- put: create or replace a flag, bumping the flag set's version, if the expected version holds.
-- KEYS[1] the flag hash   KEYS[2] version (string)   KEYS[3] index (set of flag keys)
-- ARGV[1] flag key   ARGV[2] definition JSON   ARGV[3] enabled '1'/'0'   ARGV[4] expected version
-- (0 any, -1 must not exist)   ARGV[5] actor   ARGV[6] now ms (0: server time)
-- Returns {1, version, now, def, on, ver, by, at} with the fields before the change (false when created),
-- or {-1, current version} on a version conflict (nothing changed).
local cur = current(KEYS[1])
if conflict(cur, tonumber(ARGV[4])) then return {-1, tonumber(cur[3] or '0')} end
local now = now_ms(ARGV[6])
local v = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'v', '1', 'def', ARGV[2], 'on', ARGV[3], 'ver', v, 'by', ARGV[5], 'at', now)
redis.call('SADD', KEYS[3], ARGV[1])
return {1, v, now, cur[1], cur[2], cur[3], cur[4], cur[5]}
