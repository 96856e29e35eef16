-- acquire.lua: return the entry, or take the load lock so that one process loads it.
-- KEYS[1]  the entry key
-- KEYS[2]  the entry's load lock key (same hash slot)
-- ARGV[1]  lock token
-- ARGV[2]  lock TTL, ms
-- ARGV[3]  seen: "" or the header of the stale entry the caller already has; an entry starting with it
--          does not count (the caller wants to replace it), any other entry is returned
-- returns  {entry or nil, 1 if the lock was taken else 0}
local v = redis.call('GET', KEYS[1])
if v and (ARGV[3] == '' or string.sub(v, 1, #ARGV[3]) ~= ARGV[3]) then
  return {v, 0}
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {false, 1}
end
return {false, 0}
