-- leave: take a waiter out of a lock's queue; release the lock if it was handed to the waiter meanwhile.
-- KEYS     the five keys of one lock name (see the prelude)
-- ARGV[1]  the waiter's token   ARGV[2] fence retention ms   ARGV[3] now ms (0: Redis TIME)
-- Returns 1 when the waiter held the lock (now released), else 0.
local token, keep = ARGV[1], tonumber(ARGV[2])
local now, now_us = clock(ARGV[3])
local k = lock_keys(1)
redis.call('LREM', k.q, 0, token)
redis.call('HDEL', k.w, token)
local released = 0
if redis.call('GET', k.x) == token then
  redis.call('DEL', k.x)
  released = 1
elseif redis.call('ZREM', k.s, token) == 1 then
  released = 1
end
if redis.call('EXISTS', k.q) == 1 then slow().settle(k, now, now_us, keep, nil) end
return released
