-- list: a page of a queue's jobs in one state, with the number in that state (read only).
-- KEYS[1] the queue's active set
-- ARGV[1] key base   ARGV[2] state   ARGV[3] offset   ARGV[4] limit
-- Returns {total, {id, lease expiry ms or false, field, value, ...}, ...}. Pending jobs come in run order
-- (priority 9 first), scheduled and retrying by due time, active by lease expiry, dead and completed newest
-- first.
local state, offset, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local total, ids = 0, {}
if state == 'pending' then
  for p = MAXP, 0, -1 do
    local n = redis.call('LLEN', rkey(p))
    local from = offset - total
    if #ids < limit and from < n then
      if from < 0 then from = 0 end
      for _, id in ipairs(redis.call('LRANGE', rkey(p), from, from + limit - #ids - 1)) do ids[#ids + 1] = id end
    end
    total = total + n
  end
else
  local z = B .. ({scheduled = 'scheduled', retry = 'retry', active = 'active', dead = 'dead', completed = 'done'})[state]
  total = redis.call('ZCARD', z)
  if limit > 0 then
    if state == 'dead' or state == 'completed' then
      ids = redis.call('ZREVRANGE', z, offset, offset + limit - 1)
    else
      ids = redis.call('ZRANGE', z, offset, offset + limit - 1)
    end
  end
end
local out = {total}
for _, id in ipairs(ids) do
  local row = {id, redis.call('ZSCORE', KEYS[1], id)}
  for _, v in ipairs(redis.call('HGETALL', jkey(id))) do row[#row + 1] = v end
  out[#out + 1] = row
end
return out
