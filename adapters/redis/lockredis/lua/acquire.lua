-- acquire: take every lock of one hash slot for a token, all or none; optionally queue for a single lock.
-- KEYS     five keys per lock name (see the prelude), names in request order
-- ARGV[1]  owner token          ARGV[2] mode: x (exclusive) or s (shared)   ARGV[3] lease ms
-- ARGV[4]  1 to queue when the lock is not free (single name only), else 0
-- ARGV[5]  queue entry lifetime ms (the waiter looks again before it ends)
-- ARGV[6]  the waiter's wake channel   ARGV[7] fence retention ms   ARGV[8] now ms (0: Redis TIME)
-- Returns {1, fence of each name...} when every name is now held by the token (including names handed to it
-- earlier), or {0, ms until the blocking lease ends, index of the blocking name}; nothing is taken then.
-- Fast path, before the prelude is built: one free, idle lock taken exclusively (SET NX), its fence issued
-- as next_fence in the prelude does.
local busy = nil -- for a single lock: how many of its readers and queue keys exist, once looked at
if #KEYS == 5 then busy = redis.call('EXISTS', KEYS[2], KEYS[4]) end
if busy == 0 and ARGV[2] == 'x' and redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3], 'NX') then
  local f = redis.call('INCR', KEYS[3])
  if f == 1 then
    f = tonumber(ARGV[8]) * 1000
    if f <= 0 then
      local t = redis.call('TIME')
      f = tonumber(t[1]) * 1000000 + tonumber(t[2])
    end
    redis.call('SET', KEYS[3], string.format('%.0f', f), 'PX', math.max(tonumber(ARGV[7]), 1))
  end
  return {1, f}
end
-- @prelude
local token, mode, ttl, keep = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[7])
local ms, us
local function now()
  if not ms then ms, us = clock(ARGV[8]) end
  return ms, us
end
local function clock_us() return select(2, now()) end
local n = #KEYS / 5
local fences = {}

-- enqueue(k, now_ms): join (or stay in) the queue of a single lock, refreshing this waiter's entry.
local function enqueue(k, now_ms)
  if ARGV[4] ~= '1' or n ~= 1 then return end
  local life = tonumber(ARGV[5])
  local entry = num(now_ms + life) .. ' ' .. mode .. ' ' .. ARGV[3] .. ' ' .. ARGV[6]
  if redis.call('HSET', k.w, token, entry) == 1 then redis.call('RPUSH', k.q, token) end
  redis.call('PEXPIRE', k.q, 2 * life)
  redis.call('PEXPIRE', k.w, 2 * life)
end

for i = 1, n do
  local k = lock_keys(i)
  local idle = (busy or redis.call('EXISTS', k.s, k.q)) == 0
  local x = redis.call('GET', k.x)
  if idle and not x then
    -- Free: taken in the second pass, once every name is free (a lone free lock was taken above).
  elseif x == token then
    fences[i] = fence_of(k) or next_fence(k, clock_us, keep)
  elseif x then
    -- Held exclusively by another: nothing can be handed over now.
    enqueue(k, now())
    return {0, math.max(1, redis.call('PTTL', k.x)), i}
  else
    -- Readers hold it, or waiters wait for it.
    local L = slow()
    local now_ms, now_us = now()
    local handed = nil
    if redis.call('EXISTS', k.q) == 1 then handed = L.settle(k, now_ms, now_us, keep, token) end
    if handed then
      fences[i] = handed
    elseif L.holds(k, token, now_ms) then
      fences[i] = fence_of(k) or next_fence(k, now_us, keep)
    elseif redis.call('EXISTS', k.q) == 1 or not L.free_for(k, mode, now_ms) then
      enqueue(k, now_ms)
      return {0, L.blocked_for(k, now_ms), i}
    end
  end
end

for i = 1, n do
  if not fences[i] then
    local k = lock_keys(i)
    if mode == 'x' then
      redis.call('SET', k.x, token, 'PX', ttl)
    else
      slow().add_shared(k, token, now(), ttl)
    end
    fences[i] = next_fence(k, clock_us, keep)
  end
end
return {1, unpack(fences)}
