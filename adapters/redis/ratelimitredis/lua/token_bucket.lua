-- token_bucket: a bucket of burst tokens refilled with count tokens per period. State (string):
-- "<credit> <last>", where credit is the bucket's content in microseconds of refill (tokens x T, so the
-- arithmetic stays in exact integers) and last the time it was last stored. The key expires when the
-- bucket would be full again.
S.tb = function(key, count, period, burst, now, cost)
  local t = ceil(period / count)
  local cap = burst * t
  local credit, last = cap, now
  local v = redis.call('GET', key)
  if v then
    local c, l = string.match(v, '^(%d+) (%d+)$')
    if c then credit, last = tonumber(c), tonumber(l) end
  end
  if now > last then
    credit = credit + (now - last)
    if credit > cap then credit = cap end
    last = now
  end
  local need = cost * t
  if credit < need then
    return false, floor(credit / t), cap - credit, need - credit
  end
  credit = credit - need
  return true, floor(credit / t), cap - credit, 0, string.format('%d %d', credit, last), max(1, ceil((cap - credit) / 1000))
end
