-- delete_all: remove every session of a user but one.
-- KEYS[1] the user's index
-- ARGV[1] the session id to keep ('' keeps none)   ARGV[2] key prefix of this slot's session hashes
-- Returns the ids of the sessions removed (entries already gone are pruned silently).
local removed = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[1] then
    if redis.call('DEL', ARGV[2] .. id) == 1 then removed[#removed + 1] = id end
    redis.call('ZREM', KEYS[1], id)
  end
end
return removed
