-- touch: read a session, optionally counting the read as activity and sliding the idle expiry.
-- KEYS[1] the session's hash
-- ARGV[1] now ms (0: server time)   ARGV[2] idle timeout ms   ARGV[3] 1 to record activity, 0 to only read
-- ARGV[4] the user id the session must belong to ('' for any)   ARGV[5] key prefix of this slot's user indexes
-- ARGV[6] the session id
-- Returns {0} when absent (or owned by another user), {1, uid} when found expired (deleted now), or
-- {2, field, value, ...} with every field of the live session.
local now = now_ms(ARGV[1])
local uid = redis.call('HGET', KEYS[1], 'uid')
if not uid or (ARGV[4] ~= '' and uid ~= ARGV[4]) then return {0} end
if not alive(KEYS[1], now) then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', ARGV[5] .. uid, ARGV[6])
  return {1, uid}
end
if ARGV[3] == '1' then
  local idle_at = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'la', now, 'ie', idle_at)
  redis.call('HINCRBY', KEYS[1], 'n', 1)
  redis.call('PEXPIRE', KEYS[1], ttl_ms(now, idle_at, tonumber(redis.call('HGET', KEYS[1], 'ae'))))
end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, 2)
return out
