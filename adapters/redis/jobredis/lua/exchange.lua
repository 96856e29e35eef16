-- exchange: one round of a worker with its queue, atomically: settle finished runs, return expired leases,
-- make due scheduled and retrying jobs pending, lease up to `want` pending jobs (highest priority first,
-- oldest first within a priority), register the worker as idle when it wanted more than it got (so the next
-- enqueue hands it a job directly), and keep the finished sets within their retention.
-- KEYS[1] the queue's active set (routing; every key is built from ARGV[1])
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)   ARGV[3] want   ARGV[4] lease ms   ARGV[5] grace ms
-- ARGV[6] worker   ARGV[7] completed keep ms   ARGV[8] completed max   ARGV[9] dead keep ms   ARGV[10] dead max
-- ARGV[11] the worker's inbox id ('' for none)   ARGV[12] idle registration ttl ms
-- ARGV[13] number of settles s; ARGV[14 ..] 5 values per settle: id, run, kind ('c' completed, 'f' failed,
--          'x' failed without retry), data (result or error), retry delay ms
-- Returns {now, next_due ms (0: none), more (0/1), paused (0/1), settled, expired, jobs} where
--   settled = {outcome, attempts, retry-at ms} per settle, outcome completed|retry|dead|stale
--   expired = {id, type, outcome (expired|dead), attempts} per reclaimed lease
--   jobs    = one row per leased job, as lease_job returns it
local now = now_ms(ARGV[2])
local want, lease, grace, worker = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local keep_c, max_c, keep_d, max_d = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local inbox, idle_ttl = ARGV[11], tonumber(ARGV[12])
local active, done, dead = B .. 'active', B .. 'done', B .. 'dead'
local n_done, n_failed, n_finished = 0, 0, 0

local function to_dead(id, k, err, u)
  finish(dead, id, k, {'s', 'dead', 'e', err, 'f', now}, now, keep_d, max_d)
  release_unique(u, id)
  n_finished = n_finished + 1
end

-- 1. Settle the runs the worker finished; a run whose lease the worker lost changes nothing.
local settled = {}
local s = tonumber(ARGV[13])
for j = 0, s - 1 do
  local o = 14 + j * 5
  local id, run, kind, data = ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
  local k = jkey(id)
  local f = redis.call('HMGET', k, 's', 'rn', 'a', 'mr', 'u')
  if f[1] ~= 'active' or f[2] ~= run then
    settled[#settled + 1] = {'stale', tonumber(f[3] or '0'), 0}
  else
    redis.call('ZREM', active, id)
    local attempts = tonumber(f[3])
    if kind == 'c' then
      local fields = {'s', 'completed', 'f', now}
      if data ~= '' then fields[5] = 'r'; fields[6] = data end
      finish(done, id, k, fields, now, keep_c, max_c)
      release_unique(f[5], id)
      n_done = n_done + 1
      n_finished = n_finished + 1
      settled[#settled + 1] = {'completed', attempts, 0}
    elseif kind == 'f' and attempts <= tonumber(f[4]) then
      local due = now + tonumber(ARGV[o + 4])
      redis.call('HSET', k, 's', 'retry', 'e', data, 'due', due)
      schedule(B .. 'retry', id, due)
      n_failed = n_failed + 1
      settled[#settled + 1] = {'retry', attempts, due}
    else
      to_dead(id, k, data, f[5])
      n_failed = n_failed + 1
      settled[#settled + 1] = {'dead', attempts, 0}
    end
  end
end

-- 2. Runs whose lease expired (their worker died or hung past its timeout): pending again at the front of
-- their priority, the attempt counted, or dead when it was the last one.
local expired = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', active, id)
  local k = jkey(id)
  local f = redis.call('HMGET', k, 't', 'a', 'mr', 'pr', 'u')
  if f[1] then
    local attempts = tonumber(f[2] or '0')
    n_failed = n_failed + 1
    if attempts <= tonumber(f[3]) then
      redis.call('HSET', k, 's', 'pending', 'e', 'lease expired', 'rt', now)
      redis.call('LPUSH', rkey(tonumber(f[4] or '0')), id)
      expired[#expired + 1] = {id, f[1], 'expired', attempts}
    else
      to_dead(id, k, 'lease expired', f[5])
      expired[#expired + 1] = {id, f[1], 'dead', attempts}
    end
  end
end

-- 3. Due scheduled and retrying jobs become pending (at most 1000 per set per call).
local promoted = 0
for _, z in ipairs({B .. 'scheduled', B .. 'retry'}) do
  local ids = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 1000)
  if #ids > 0 then
    redis.call('ZREMRANGEBYRANK', z, 0, #ids - 1)
    for _, id in ipairs(ids) do
      local k = jkey(id)
      local f = redis.call('HMGET', k, 'pr', 'due')
      redis.call('HSET', k, 's', 'pending', 'rt', f[2] or now)
      redis.call('RPUSH', rkey(tonumber(f[1] or '0')), id)
    end
    promoted = promoted + #ids
  end
end

-- 4. Lease up to `want` pending jobs unless the queue is paused; a worker left with free slots registers as
-- idle, one that got all it wanted stops being idle.
local paused = redis.call('EXISTS', B .. 'paused')
local jobs = {}
if paused == 0 and want > 0 then
  for _, id in ipairs(pop_ready(want)) do
    local row = lease_job(id, now, lease, grace, worker)
    if row then jobs[#jobs + 1] = row end
  end
  if inbox ~= '' then
    if #jobs < want then
      register_idle(inbox, now + idle_ttl, lease, grace, worker)
    elseif redis.call('ZSCORE', B .. 'idle', inbox) then
      unregister_idle(inbox)
    end
  end
end

-- 5. Jobs left ready go to other idle workers, then a wake-up token; count; trim what this round finished.
local more = 0
if paused == 0 and (promoted > 0 or #expired > 0 or (want > 0 and #jobs >= want)) and any_ready() then
  if hand_off(now) == 0 or any_ready() then
    more = 1
    wake()
  end
end
count('done', n_done, now)
count('failed', n_failed, now)
-- A retention that keeps nothing deleted the jobs already (the janitor clears what an earlier one kept).
if n_finished > 0 then
  if keep_c > 0 and max_c > 0 then trim(done, keep_c, max_c, now, 2 * n_finished + 2) end
  if keep_d > 0 and max_d > 0 then trim(dead, keep_d, max_d, now, 2 * n_finished + 2) end
end

local next_due = 0
for _, z in ipairs({B .. 'scheduled', B .. 'retry', active}) do
  local first = first_score(z)
  if first and (next_due == 0 or first < next_due) then next_due = first end
end
return {now, next_due, more, paused, settled, expired, jobs}
