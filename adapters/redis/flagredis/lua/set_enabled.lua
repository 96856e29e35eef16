-- set_enabled: pull or release a flag's kill switch, bumping the flag set's version.
-- KEYS[1] the flag hash   KEYS[2] version (string)
-- ARGV[1] enabled '1'/'0'   ARGV[2] actor   ARGV[3] now ms (0: server time)
-- Returns {1, version, now, def, on, ver, by, at} with the fields before the change, or {0} when the
-- flag does not exist (nothing changed).
local cur = current(KEYS[1])
if not cur[1] then return {0} end
local now = now_ms(ARGV[3])
local v = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'on', ARGV[1], 'ver', v, 'by', ARGV[2], 'at', now)
return {1, v, now, cur[1], cur[2], cur[3], cur[4], cur[5]}
