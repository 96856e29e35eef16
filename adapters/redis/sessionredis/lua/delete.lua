-- delete: remove one session of a user.
-- KEYS[1] the session's hash   KEYS[2] the user's index
-- ARGV[1] session id   ARGV[2] the user id the session must belong to
-- Returns 1 when a session was removed, 0 when there was none for that user.
if redis.call('HGET', KEYS[1], 'uid') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
