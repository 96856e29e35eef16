-- list: a user's live sessions, oldest first, after pruning dead entries from the index.
-- KEYS[1] the user's index
-- ARGV[1] now ms (0: server time)   ARGV[2] key prefix of this slot's session hashes   ARGV[3] 1 for the
-- sessions, 0 for the count only
-- Returns {{expired ids}, count} or {{expired ids}, {id, {field, value, ...}}, ...}.
local now = now_ms(ARGV[1])
local expired = prune(KEYS[1], ARGV[2], now)
if ARGV[3] == '0' then return {expired, redis.call('ZCARD', KEYS[1])} end
local out = {expired}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = {id, redis.call('HGETALL', ARGV[2] .. id)}
end
return out
