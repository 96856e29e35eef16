-- lease_release: drops a lease its holder still holds (and only then).
-- KEYS[1] the lease   ARGV[1] the holder's token
-- Returns 1 when dropped, 0 when the lease had passed to another holder or lapsed.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
