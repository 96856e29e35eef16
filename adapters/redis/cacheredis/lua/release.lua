-- release.lua: drop the load lock if the token still holds it.
-- KEYS[1]  the entry's load lock key
-- ARGV[1]  lock token
-- returns  1 when released, 0 when the lock was not the token's
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
