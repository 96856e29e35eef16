-- release: free every lock of one hash slot that a token holds, handing each to the head of its queue.
-- KEYS     five keys per lock name (see the prelude)
-- ARGV[1]  owner token   ARGV[2] fence retention ms   ARGV[3] now ms (0: Redis TIME)
-- ARGV[4]  the caller's wake channel: waiters on it are handed the lock in the reply, not over pub/sub
-- Returns how many of the names the token held (and has now released) or, when the lock went to waiters on
-- the caller's channel, {released, index of the name, waiter token, fence, ...}.
-- Fast path, before the prelude is built: the exclusive holder of one lock that nobody waits for releases
-- it with GET, DEL, EXISTS.
local fast = 0
if #KEYS == 5 and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if redis.call('EXISTS', KEYS[4]) == 0 then return 1 end
  fast = 1 -- released; the queue below still needs its hand-over
end
-- @prelude
local token, keep = ARGV[1], tonumber(ARGV[2])
local now, now_us
local released = fast
local here = {chan = ARGV[4]}
for i = 1, #KEYS / 5 do
  local k = lock_keys(i)
  if fast == 1 then
    -- already released above
  elseif redis.call('GET', k.x) == token then
    redis.call('DEL', k.x)
    released = released + 1
  elseif redis.call('EXISTS', k.s) == 1 then
    if not now then now, now_us = clock(ARGV[3]) end
    local score = redis.call('ZSCORE', k.s, token)
    if score and tonumber(score) > now then
      redis.call('ZREM', k.s, token)
      released = released + 1
    end
  end
  if fast == 1 or redis.call('EXISTS', k.q) == 1 then
    if not now then now, now_us = clock(ARGV[3]) end
    here.index = i
    slow().settle(k, now, now_us, keep, nil, here)
  end
end
if #here == 0 then return released end
return {released, unpack(here)}
