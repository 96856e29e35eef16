-- delete: remove a flag and its evaluation counts, bumping the flag set's version, if the expected
-- version holds. The audit trail stays.
-- KEYS[1] the flag hash   KEYS[2] version (string)   KEYS[3] index (set of flag keys)   KEYS[4] counts hash
-- ARGV[1] flag key   ARGV[2] expected version (0 any)   ARGV[3] now ms (0: server time)
-- Returns {1, version, now, def, on, ver, by, at} with the fields before, {0} when the flag does not
-- exist, or {-1, current version} on a version conflict (nothing changed in either case).
local cur = current(KEYS[1])
if not cur[1] then return {0} end
if conflict(cur, tonumber(ARGV[2])) then return {-1, tonumber(cur[3])} end
local now = now_ms(ARGV[3])
local v = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('SREM', KEYS[3], ARGV[1])
return {1, v, now, cur[1], cur[2], cur[3], cur[4], cur[5]}
