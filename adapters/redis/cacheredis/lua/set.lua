-- set.lua: write an entry and drop its load lock, so a load in flight cannot overwrite the write.
-- KEYS[1]  the entry key
-- KEYS[2]  the entry's load lock key (same hash slot)
-- ARGV[1]  entry bytes
-- ARGV[2]  entry TTL, ms
-- returns  1
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
