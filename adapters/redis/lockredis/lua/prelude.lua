-- Shared by every lock script (prepended when the script is built, after the shared num).
--
-- A lock name N owns five keys, all with the hash tag {N}, passed in KEYS in this order for each name:
--   x  <prefix>:lock:{N}     string: the exclusive holder's token; PX = its lease
--   s  <prefix>:lock:{N}:r   zset: shared holders' tokens scored by lease end (ms); PEXPIRE = the last lease end
--   f  <prefix>:lock:{N}:f   string: the last fence issued; PX = fence retention from its first grant, renewed by
--                            extends
--   q  <prefix>:lock:{N}:q   list: queued waiters' tokens, oldest first
--   w  <prefix>:lock:{N}:w   hash: waiter token -> "<entry end ms> <x|s> <lease ms> <wake channel>"
-- Empty lists and hashes vanish by themselves, and q and w carry a PEXPIRE, so an idle lock leaves nothing
-- but its fence, which expires after the retention.
--
-- Every run of a script builds its functions anew, so the helpers only a contended lock needs (queues,
-- readers) are built on first use by slow(); an uncontended acquire or release builds just the few below.

local function lock_keys(i)
  local b = (i - 1) * 5
  return {x = KEYS[b + 1], s = KEYS[b + 2], f = KEYS[b + 3], q = KEYS[b + 4], w = KEYS[b + 5]}
end

-- clock(arg): now in ms and in µs: a test's simulated clock (ms) when arg > 0, otherwise Redis TIME.
local function clock(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n, n * 1000 end
  local t = redis.call('TIME')
  local us = tonumber(t[1]) * 1000000 + tonumber(t[2])
  return math.floor(us / 1000), us
end

-- next_fence(k, now_us, keep): issue a fence: one more than the last (INCR, which leaves the key's expiry
-- alone), or, when the name has none remembered (a new name, or one idle past the retention), the clock in
-- µs, remembered for keep ms. Fences so keep increasing after the remembered one expired: a count that
-- started at the clock in µs gains one per grant, and a name is granted far less than once a microsecond.
-- now_us is the clock itself, or a function returning it (read only when the count starts anew).
local function next_fence(k, now_us, keep)
  local f = redis.call('INCR', k.f)
  if f > 1 then return f end
  if type(now_us) == 'function' then now_us = now_us() end
  redis.call('SET', k.f, num(now_us), 'PX', keep)
  return now_us
end

-- fence_of(k): the last fence issued (the current exclusive holder's), nil when none is remembered.
local function fence_of(k)
  return tonumber(redis.call('GET', k.f))
end

local S
-- slow(): the helpers of shared holders and wait queues, built on first use.
local function slow()
  if S then return S end
  S = {}

  -- live_shared(k, now): drop shared holders whose lease ended; return how many remain.
  function S.live_shared(k, now)
    redis.call('ZREMRANGEBYSCORE', k.s, '-inf', now)
    return redis.call('ZCARD', k.s)
  end

  -- add_shared(k, token, now, ttl): give token a shared lease of ttl ms; the zset lives as long as its last
  -- lease.
  function S.add_shared(k, token, now, ttl)
    redis.call('ZADD', k.s, num(now + ttl), token)
    local last = redis.call('ZRANGE', k.s, -1, -1, 'WITHSCORES')
    redis.call('PEXPIRE', k.s, math.max(1, tonumber(last[2]) - now))
  end

  -- holds(k, token, now): 'x' or 's' when token holds the lock that way, else nil.
  function S.holds(k, token, now)
    if redis.call('GET', k.x) == token then return 'x' end
    local score = redis.call('ZSCORE', k.s, token)
    if score and tonumber(score) > now then return 's' end
    return nil
  end

  -- free_for(k, mode, now): nobody holds the lock in a way that excludes mode.
  function S.free_for(k, mode, now)
    if mode == 's' then return redis.call('EXISTS', k.x) == 0 end
    if redis.call('EXISTS', k.x, k.s) == 0 then return true end
    return redis.call('EXISTS', k.x) == 0 and S.live_shared(k, now) == 0
  end

  -- blocked_for(k, now): ms until the lease that blocks the lock ends by itself (at least 1).
  function S.blocked_for(k, now)
    local left = redis.call('PTTL', k.x)
    if left == -2 then
      local first = redis.call('ZRANGE', k.s, 0, 0, 'WITHSCORES')
      left = 1
      if first[2] then left = tonumber(first[2]) - now end
    end
    return math.max(1, left)
  end

  function S.parse_waiter(v)
    local ends, mode, ttl, chan = string.match(v, '^(%d+) ([xs]) (%d+) (.+)$')
    return tonumber(ends), mode, tonumber(ttl), chan
  end

  -- settle(k, now, now_us, keep, self, here): hand the lock to the head of its queue while the head can have
  -- it: one exclusive waiter, or every shared waiter up to the next exclusive one. Dead entries (their waiter
  -- stopped looking) are dropped on the way. Each grant gets a fence and is announced on the waiter's
  -- channel as "<token> <fence> <exclusive key>", except a grant to self (the caller), whose fence is
  -- returned first, and, when here (a table) is given, grants to waiters on the caller's own channel
  -- here.chan, which are appended to here as here.index, token, fence: the caller's process hands them over
  -- itself, without a pub/sub round trip.
  function S.settle(k, now, now_us, keep, self, here)
    local mine = nil
    while true do
      local head = redis.call('LPOP', k.q)
      if not head then break end
      local v = redis.call('HGET', k.w, head)
      local ends, mode, ttl, chan
      if v then ends, mode, ttl, chan = S.parse_waiter(v) end
      if not ends or ends <= now then
        redis.call('HDEL', k.w, head)
      else
        if not S.free_for(k, mode, now) then
          -- It stays first; the queue may have vanished with the LPOP, so it gets the entries' expiry back.
          redis.call('LPUSH', k.q, head)
          local left = redis.call('PTTL', k.w)
          if left > 0 then redis.call('PEXPIRE', k.q, left) end
          break
        end
        if mode == 'x' then
          redis.call('SET', k.x, head, 'PX', ttl)
        else
          S.add_shared(k, head, now, ttl)
        end
        local f = next_fence(k, now_us, math.max(keep, 2 * ttl))
        redis.call('HDEL', k.w, head)
        if head == self then
          mine = f
        elseif here and chan == here.chan then
          here[#here + 1] = here.index
          here[#here + 1] = head
          here[#here + 1] = f
        else
          redis.call('PUBLISH', chan, head .. ' ' .. num(f) .. ' ' .. k.x)
        end
        if mode == 'x' then break end
      end
    end
    return mine
  end

  return S
end
