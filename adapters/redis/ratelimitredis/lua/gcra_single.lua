-- gcra_single: run.lua's decision for a policy of exactly one GCRA tier (the commonest policy), written
-- straight through: no strategy table, no closures, no tier loop, which saves Redis about a tenth of the CPU
-- run.lua spends per decision. Same KEYS, ARGV and reply as run.lua (ARGV[3], the strategy code, is not
-- read); gcra.lua explains the algorithm. The tests run both scripts on the same inputs and compare every
-- reply and every stored state.
local now = tonumber(ARGV[1])
if not now or now <= 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local cost = tonumber(ARGV[2])
local t = math.ceil(tonumber(ARGV[5]) / tonumber(ARGV[4]))
local tau = tonumber(ARGV[6]) * t
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local left = math.floor((now + tau - tat) / t)
if left < 0 then left = 0 end
if cost == 0 then
  -- Report only: units left and reset as they are, allowed and retry-after for one unit.
  local retry = tat + t - tau - now
  if retry > 0 then return {0, 0, left, tat - now, retry} end
  return {1, 1, left, tat - now, 0}
end
local new_tat = tat + cost * t
local retry = new_tat - tau - now
if retry > 0 then return {0, 0, left, tat - now, retry} end
local ttl = math.ceil((new_tat - now) / 1000)
if ttl < 1 then ttl = 1 end
redis.call('SET', KEYS[1], new_tat, 'PX', ttl)
return {1, 1, math.floor((now + tau - new_tat) / t), new_tat - now, 0}
