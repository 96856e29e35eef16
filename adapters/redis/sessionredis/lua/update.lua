-- update: set or remove data fields of a live session.
-- KEYS[1] the session's hash
-- ARGV[1] the user id the session must belong to   ARGV[2] now ms (0: server time)
-- ARGV[3..] triples of (name, 's' to set or 'd' to delete, value)
-- Returns {0} when there is no live session for that user, else {2, field, value, ...}.
local now = now_ms(ARGV[2])
if redis.call('HGET', KEYS[1], 'uid') ~= ARGV[1] or not alive(KEYS[1], now) then return {0} end
for i = 3, #ARGV, 3 do
  if ARGV[i + 1] == 's' then
    redis.call('HSET', KEYS[1], 'x:' .. ARGV[i], ARGV[i + 2])
  else
    redis.call('HDEL', KEYS[1], 'x:' .. ARGV[i])
  end
end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, 2)
return out
