-- Shared by every semaphore script (prepended when the script is built, after the shared now_ms and num).
--
-- A pool P owns five keys, all with the hash tag {P}, passed as KEYS[1..5]:
--   p  <prefix>:sem:{P}      hash: cap (capacity), used (permits held by the holders in h)
--   h  <prefix>:sem:{P}:h    zset: holder permit id -> lease end (ms)
--   n  <prefix>:sem:{P}:n    hash: holder permit id -> weight (permits it holds)
--   q  <prefix>:sem:{P}:q    list: queued waiters' permit ids, oldest first
--   w  <prefix>:sem:{P}:w    hash: waiter id -> "<entry end ms> <weight> <lease ms> <wake channel>"
-- The pool's keys carry no expiry (a pool is configuration); holders are bounded by the capacity and dropped
-- when their lease ends; q and w carry a PEXPIRE, so a queue of dead waiters vanishes.

local k = {p = KEYS[1], h = KEYS[2], n = KEYS[3], q = KEYS[4], w = KEYS[5]}

local function used()
  return tonumber(redis.call('HGET', k.p, 'used') or '0')
end

-- drop(id): remove a holder and return its permits to the pool.
local function drop(id)
  local weight = tonumber(redis.call('HGET', k.n, id) or '1')
  redis.call('ZREM', k.h, id)
  redis.call('HDEL', k.n, id)
  redis.call('HINCRBY', k.p, 'used', -weight)
end

-- prune(now): reclaim the permits of holders whose lease ended.
local function prune(now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', k.h, '-inf', now)) do drop(id) end
end

-- grant(id, weight, ttl, now): make id a holder of weight permits for ttl ms.
local function grant(id, weight, ttl, now)
  redis.call('ZADD', k.h, num(now + ttl), id)
  redis.call('HSET', k.n, id, weight)
  redis.call('HINCRBY', k.p, 'used', weight)
end

local function parse_waiter(v)
  local ends, weight, ttl, chan = string.match(v, '^(%d+) (%d+) (%d+) (.+)$')
  return tonumber(ends), tonumber(weight), tonumber(ttl), chan
end

-- settle(now, self, here): grant permits to the head of the queue while it fits, strictly in order: a waiter
-- that does not fit stops everyone behind it. Dead entries are dropped; a head heavier than the whole
-- capacity (after a shrink) is dropped and told to look again. Grants are announced as "<id> 1" on the
-- waiter's channel, except to self (the caller), which is reported by the return value instead, and, when
-- here (a table) is given, to waiters on the caller's own channel here.chan, whose ids are appended to here:
-- the caller's process wakes them itself, without a pub/sub round trip.
local function settle(now, self, here)
  local cap = tonumber(redis.call('HGET', k.p, 'cap') or '0')
  local mine = false
  while true do
    local head = redis.call('LINDEX', k.q, 0)
    if not head then break end
    local v = redis.call('HGET', k.w, head)
    local ends, weight, ttl, chan
    if v then ends, weight, ttl, chan = parse_waiter(v) end
    if not ends or ends <= now then
      redis.call('LPOP', k.q)
      redis.call('HDEL', k.w, head)
    elseif weight > cap then
      redis.call('LPOP', k.q)
      redis.call('HDEL', k.w, head)
      if head ~= self then redis.call('PUBLISH', chan, head .. ' 0') end
    elseif used() + weight <= cap then
      grant(head, weight, ttl, now)
      redis.call('LPOP', k.q)
      redis.call('HDEL', k.w, head)
      if head == self then
        mine = true
      elseif here and chan == here.chan then
        here[#here + 1] = head
      else
        redis.call('PUBLISH', chan, head .. ' 1')
      end
    else
      break
    end
  end
  return mine
end

-- holds(id, now): id holds permits whose lease has not ended.
local function holds(id, now)
  local score = redis.call('ZSCORE', k.h, id)
  if not score then return false end
  return tonumber(score) > now
end

-- next_expiry(now): ms until the first holder's lease ends (at least 1).
local function next_expiry(now)
  local first = redis.call('ZRANGE', k.h, 0, 0, 'WITHSCORES')
  if first[2] then return math.max(1, tonumber(first[2]) - now) end
  return 1
end
