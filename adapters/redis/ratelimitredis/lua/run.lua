-- run: decides one request against the tiers of a policy, all or nothing: every tier is checked first, and
-- only when all of them have room does any of them store anything. A denial changes nothing.
-- KEYS[i]  the state of tier i (all of one subject's keys share a hash tag, so one slot)
-- ARGV[1]  now in microseconds (0: Redis TIME; tests pass a simulated clock)
-- ARGV[2]  cost in units; 0 only reports the state: remaining and reset_after as they are now, allowed
--          and retry_after for a request of one unit, and nothing is stored
-- ARGV[3 + 4(i-1) .. 6 + 4(i-1)]  tier i: strategy code, count, period in microseconds, burst
-- Returns {allowed, then per tier: allowed, remaining, reset_after us, retry_after us}, allowed as 1 or 0.
-- (Written without local functions: a closure made on every call costs Redis measurably per decision.)
local now = tonumber(ARGV[1])
if not now or now <= 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local cost = tonumber(ARGV[2])
local n = #KEYS
local out = {1}
local pending                  -- {tier, value, ttl, period} of each tier, when there are several
local p_value, p_ttl, p_period -- the one tier's, when there is one
for i = 1, n do
  local a = 2 + (i - 1) * 4
  local f = S[ARGV[a + 1]]
  if not f then return redis.error_reply('ERR statekit ratelimit: unknown strategy ' .. tostring(ARGV[a + 1])) end
  local count, period, burst = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local ok, left, reset, retry, value, ttl = f(KEYS[i], count, period, burst, now, cost)
  if cost == 0 then
    local _
    ok, _, _, retry = f(KEYS[i], count, period, burst, now, 1)
  end
  local m = #out
  if ok then
    out[m + 1] = 1
    if cost > 0 then
      if n == 1 then
        p_value, p_ttl, p_period = value, ttl, period
      else
        pending = pending or {}
        pending[#pending + 1] = {i, value, ttl, period}
      end
    end
  else
    out[m + 1] = 0
    out[1] = 0
  end
  out[m + 2] = left
  out[m + 3] = ceil(reset)
  out[m + 4] = ceil(retry)
end
if out[1] == 1 and cost > 0 then
  for j = 1, n do
    local i, value, ttl, period = 1, p_value, p_ttl, p_period
    if n > 1 then i, value, ttl, period = pending[j][1], pending[j][2], pending[j][3], pending[j][4] end
    if value == LOG then
      log_add(KEYS[i], now, period, cost, ttl)
    else
      redis.call('SET', KEYS[i], value, 'PX', ttl)
    end
  end
end
return out
