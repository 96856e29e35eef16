-- lease_renew: extends a lease its holder still holds.
-- KEYS[1] the lease   ARGV[1] the holder's token   ARGV[2] the lease time in ms
-- Returns 1 when extended, 0 when the lease is lost.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
