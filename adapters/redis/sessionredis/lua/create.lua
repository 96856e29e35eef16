-- create: store a new session and enforce the user's cap in one step.
-- KEYS[1] the new session's hash      KEYS[2] the user's index (zset: session id -> creation order)
-- ARGV[1] session id   ARGV[2] user id   ARGV[3] ip   ARGV[4] device (JSON)
-- ARGV[5] idle timeout ms   ARGV[6] absolute lifetime ms   ARGV[7] max sessions per user
-- ARGV[8] key prefix of this slot's session hashes   ARGV[9] now ms (0: server time)
-- Returns {created_ms, {expired ids}, {evicted ids}}.
local now = now_ms(ARGV[9])
local idle, abs, cap = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local expired = prune(KEYS[2], ARGV[8], now)

redis.call('HSET', KEYS[1], 'v', '1', 'uid', ARGV[2], 'c', now, 'la', now, 'ie', now + idle, 'ae', now + abs,
  'n', 0, 'ip', ARGV[3], 'dev', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl_ms(now, now + idle, now + abs))

-- Creation order must be strict even within one millisecond, so the score never repeats.
local order = now
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) >= order then order = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[2], order, ARGV[1])

local evicted = {}
local excess = redis.call('ZCARD', KEYS[2]) - cap
if excess > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #popped, 2 do
    redis.call('DEL', ARGV[8] .. popped[i])
    evicted[#evicted + 1] = popped[i]
  end
end
-- No session outlives its absolute lifetime, so neither need the index.
redis.call('PEXPIRE', KEYS[2], abs)
return {now, expired, evicted}
