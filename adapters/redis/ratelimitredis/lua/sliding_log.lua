-- sliding_log: the exact sliding-window log. State (sorted set): one member per admitted unit, scored by
-- its time; a unit admitted at s counts until s + period. Members are "<time>.<n>", n numbering the units
-- admitted at the same microsecond (all of them leave together, so the numbering never collides). Units
-- that left the window are removed when the next request is admitted (log_add); the key expires when the
-- newest unit leaves. It returns the value LOG, which tells run.lua to store with log_add, not SET.

S.sl = function(key, count, period, burst, now, cost)
  local since = string.format('(%d', now - period)
  local used = redis.call('ZCOUNT', key, since, '+inf')
  local reset = 0
  if used > 0 and (cost == 0 or used + cost > count) then
    -- when the newest unit leaves (an admitted request is itself the newest: reset is then the period)
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    reset = tonumber(newest[2]) + period - now
  end
  if used + cost > count then
    -- the (used + cost - count)-th oldest unit in the window must leave first
    local e = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', used + cost - count - 1, 1)
    local retry = tonumber(e[2]) + period - now
    if retry < 1 then retry = 1 end
    return false, count - used, reset, retry
  end
  if cost > 0 then reset = period end
  return true, count - used - cost, reset, 0, LOG, max(1, ceil(period / 1000))
end

-- log_add(key, now, period, cost, ttl): drops the units that left the window and adds cost units at now.
log_add = function(key, now, period, cost, ttl)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%d', now - period))
  local n = redis.call('ZCOUNT', key, now, now)
  local i = 0
  while i < cost do
    local args = {}
    local j = 0
    while i < cost and j < 500 do
      args[#args + 1] = now
      args[#args + 1] = string.format('%d.%d', now, n + i)
      i, j = i + 1, j + 1
    end
    redis.call('ZADD', key, unpack(args))
  end
  redis.call('PEXPIRE', key, ttl)
end
