-- fill.lua: store a loaded entry and release the load lock, only while the loader still holds the lock.
-- KEYS[1]  the entry key
-- KEYS[2]  the entry's load lock key (same hash slot)
-- ARGV[1]  lock token
-- ARGV[2]  entry bytes
-- ARGV[3]  entry TTL, ms
-- returns  1 when stored, 0 when the lock was lost (expired, or dropped by a write or delete) and nothing
--          was stored
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
