-- rotate: move a live session to a new id (a new token), keeping its fields, expiry and place in the index.
-- KEYS[1] the session's hash   KEYS[2] the hash under the new id   KEYS[3] the user's index
-- ARGV[1] the user id the session must belong to   ARGV[2] old id   ARGV[3] new id   ARGV[4] now ms (0: server time)
-- Returns {0} when there is no live session for that user, else {2, field, value, ...} of the moved session.
local now = now_ms(ARGV[4])
if redis.call('HGET', KEYS[1], 'uid') ~= ARGV[1] or not alive(KEYS[1], now) then return {0} end
local order = redis.call('ZSCORE', KEYS[3], ARGV[2]) or now
redis.call('RENAME', KEYS[1], KEYS[2])
-- Add before removing: removing a user's only entry first would delete the index, and ZADD would then
-- recreate it without its TTL.
redis.call('ZADD', KEYS[3], order, ARGV[3])
if ARGV[3] ~= ARGV[2] then redis.call('ZREM', KEYS[3], ARGV[2]) end
local out = redis.call('HGETALL', KEYS[2])
table.insert(out, 1, 2)
return out
