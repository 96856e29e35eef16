-- Shared by every job script (prepended when the script is built, after the shared now_ms).
-- Every script takes ARGV[1] = B, the key base of its queue ("<prefix>:job:{<queue>}:"), and builds the
-- queue's keys from it; all of them carry the queue's hash tag, so they share the slot of KEYS[1].
local B = ARGV[1]
local MAXP = 9

local function jkey(id) return B .. 'j:' .. id end
local function rkey(p) return B .. 'ready:' .. p end

-- wake(): leaves one wake-up token for an idle worker (blocked in BLPOP on B..'wake'), unless the queue is
-- paused or a token is already waiting; so the list never holds more than one.
local function wake()
  if redis.call('EXISTS', B .. 'paused') == 0 and redis.call('LLEN', B .. 'wake') == 0 then
    redis.call('RPUSH', B .. 'wake', '1')
  end
end

-- first_score(z): the lowest score of a sorted set, or nil.
local function first_score(z)
  local r = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  if r[2] then return tonumber(r[2]) end
  return nil
end

-- schedule(z, id, due): adds id to a due-time set; wakes a worker if it is now the earliest, so idle
-- workers re-arm their timers for it.
local function schedule(z, id, due)
  local first = first_score(z)
  redis.call('ZADD', z, due, id)
  if not first or due < first then wake() end
end

-- any_ready(): whether any priority list holds a job.
local function any_ready()
  for p = MAXP, 0, -1 do
    if redis.call('LLEN', rkey(p)) > 0 then return true end
  end
  return false
end

-- release_unique(u, id): frees unique key u if job id still holds it.
local function release_unique(u, id)
  if u and u ~= '' then
    local k = B .. 'u:' .. u
    if redis.call('GET', k) == id then redis.call('DEL', k) end
  end
end

-- count(field, n, now): adds n to a total and to the current minute's bucket (kept 10 minutes).
local function count(field, n, now)
  if n > 0 then
    redis.call('HINCRBY', B .. 'stats', field, n)
    local m = B .. 'm:' .. math.floor(now / 60000)
    redis.call('HINCRBY', m, field, n)
    redis.call('PEXPIRE', m, 600000)
  end
end

-- finish(z, id, k, fields, now, keep, max): moves a job to a finished set (done or dead) with fields, or
-- deletes it at once when the retention keeps none.
local function finish(z, id, k, fields, now, keep, max)
  if keep > 0 and max > 0 then
    redis.call('HSET', k, unpack(fields))
    redis.call('ZADD', z, now, id)
  else
    redis.call('DEL', k)
  end
end

-- trim(z, keep, max, now, budget): removes from a finished set, with their job hashes, the jobs beyond the
-- newest max and those older than keep ms, at most budget of them; returns how many.
local function trim(z, keep, max, now, budget)
  local removed = 0
  local excess = redis.call('ZCARD', z) - max
  if excess > 0 then
    local n = math.min(excess, budget)
    for _, id in ipairs(redis.call('ZRANGE', z, 0, n - 1)) do redis.call('DEL', jkey(id)) end
    redis.call('ZREMRANGEBYRANK', z, 0, n - 1)
    removed = n
  end
  if removed < budget then
    local ids = redis.call('ZRANGEBYSCORE', z, '-inf', now - keep, 'LIMIT', 0, budget - removed)
    for _, id in ipairs(ids) do
      redis.call('DEL', jkey(id))
      redis.call('ZREM', z, id)
    end
    removed = removed + #ids
  end
  return removed
end

-- pop_ready(n): takes up to n job ids off the ready lists, highest priority first, oldest first.
local function pop_ready(n)
  local out = {}
  for p = MAXP, 0, -1 do
    if #out >= n then break end
    local ids = redis.call('LPOP', rkey(p), n - #out)
    if ids then
      for _, id in ipairs(ids) do out[#out + 1] = id end
    end
  end
  return out
end

-- lease_job(id, now, lease, grace, worker): leases a job just taken off its ready list to a worker until
-- now + min(lease, timeout + grace). Returns its row {id, run, attempts, type, payload, priority, max retries,
-- timeout ms, created ms, ready ms, lease expiry ms, periodic name, tick ms, started ms, correlation id}
-- ('' for absent fields), or nil for a dangling id.
local function lease_job(id, now, lease, grace, worker)
  local k = jkey(id)
  local f = redis.call('HMGET', k, 't', 'p', 'pr', 'a', 'mr', 'to', 'c', 'rt', 'pn', 'pt', 'rn', 'cid')
  if not f[1] then return nil end
  local attempts = tonumber(f[4] or '0') + 1
  local run = tonumber(f[11] or '0') + 1
  local expiry = now + math.min(lease, tonumber(f[6]) + grace)
  redis.call('HSET', k, 's', 'active', 'a', attempts, 'rn', run, 'st', now, 'w', worker)
  redis.call('ZADD', B .. 'active', expiry, id)
  return {id, run, attempts, f[1], f[2] or '', f[3] or 0, f[5], f[6], f[7], f[8] or f[7], expiry, f[9] or '',
    f[10] or '', now, f[12] or ''}
end

-- register_idle(inbox, until_ms, lease, grace, worker): records that a worker waits, with free slots, on its
-- inbox until until_ms; an enqueue then leases a job to it and pushes the job into the inbox.
local function register_idle(inbox, until_ms, lease, grace, worker)
  redis.call('ZADD', B .. 'idle', until_ms, inbox)
  redis.call('HSET', B .. 'idlers', inbox, lease .. ' ' .. grace .. ' ' .. worker)
end

local function unregister_idle(inbox)
  redis.call('ZREM', B .. 'idle', inbox)
  redis.call('HDEL', B .. 'idlers', inbox)
end

-- hand_off(now): gives ready jobs, best first, to idle workers, one each (the most recently idle first):
-- leased here and pushed into the worker's inbox, so it starts the job without another round trip. Inbox
-- entries are the leased row joined by NUL bytes (JSON payloads never hold a raw NUL). Returns how many.
local function hand_off(now)
  local idle = B .. 'idle'
  if redis.call('ZCARD', idle) == 0 or redis.call('EXISTS', B .. 'paused') == 1 then return 0 end
  for _, w in ipairs(redis.call('ZRANGEBYSCORE', idle, '-inf', now)) do unregister_idle(w) end
  local n = 0
  while true do
    local ws = redis.call('ZRANGE', idle, -1, -1)
    if not ws[1] then break end
    local w = ws[1]
    local lease, grace, worker = string.match(redis.call('HGET', B .. 'idlers', w) or '', '^(%d+) (%d+) (.*)$')
    if lease then
      local ids = pop_ready(1)
      if not ids[1] then break end
      unregister_idle(w)
      local row = lease_job(ids[1], now, tonumber(lease), tonumber(grace), worker)
      if row then
        local box = B .. 'inbox:' .. w
        redis.call('RPUSH', box, table.concat(row, '\0'))
        redis.call('PEXPIRE', box, 60000)
        n = n + 1
      end
    else
      unregister_idle(w)
    end
  end
  return n
end

-- notify(now): after jobs became pending, hands them to idle workers, and leaves a wake-up token if any
-- are left (or none was handed off).
local function notify(now)
  if hand_off(now) == 0 or any_ready() then wake() end
end

-- put(now, a, i): stores the job described by a[i .. i+12] (id, type, payload, priority, max retries,
-- timeout ms, delay ms, run-at ms, unique key, unique ttl ms, periodic name, tick ms, correlation id). Returns
-- {1, 'pending'|'scheduled', due} when stored, or {0, existing id} when a live job holds its unique key.
local function put(now, a, i)
  local id, u = a[i], a[i + 8]
  local k = jkey(id)
  if u ~= '' then
    local uk = B .. 'u:' .. u
    local holder = redis.call('GET', uk)
    if holder and redis.call('EXISTS', jkey(holder)) == 1 then return {0, holder} end
    redis.call('SET', uk, id, 'PX', a[i + 9])
  end
  local prio = tonumber(a[i + 3])
  local delay, run_at = tonumber(a[i + 6]), tonumber(a[i + 7])
  local due = now
  if run_at > 0 then due = run_at elseif delay > 0 then due = now + delay end
  local f = {'t', a[i + 1], 'mr', a[i + 4], 'to', a[i + 5], 'c', now}
  if a[i + 2] ~= '' then f[#f + 1] = 'p'; f[#f + 1] = a[i + 2] end
  if prio > 0 then f[#f + 1] = 'pr'; f[#f + 1] = prio end
  if u ~= '' then f[#f + 1] = 'u'; f[#f + 1] = u end
  if a[i + 12] ~= '' then f[#f + 1] = 'cid'; f[#f + 1] = a[i + 12] end
  if a[i + 10] ~= '' then
    f[#f + 1] = 'pn'; f[#f + 1] = a[i + 10]
    f[#f + 1] = 'pt'; f[#f + 1] = a[i + 11]
  end
  if due > now then
    f[#f + 1] = 's'; f[#f + 1] = 'scheduled'
    f[#f + 1] = 'due'; f[#f + 1] = due
    redis.call('HSET', k, unpack(f))
    schedule(B .. 'scheduled', id, due)
    return {1, 'scheduled', due}
  end
  f[#f + 1] = 's'; f[#f + 1] = 'pending'
  redis.call('HSET', k, unpack(f))
  redis.call('RPUSH', rkey(prio), id)
  return {1, 'pending', now}
end
