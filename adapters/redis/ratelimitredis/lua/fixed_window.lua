-- fixed_window: windows of period microseconds aligned to the epoch, each admitting count units.
-- State (string): "<window number> <units used>"; the key expires when its window ends.
S.fw = function(key, count, period, burst, now, cost)
  local w = floor(now / period)
  local used = 0
  local v = redis.call('GET', key)
  if v then
    local vw, vu = string.match(v, '^(%d+) (%d+)$')
    if vw and tonumber(vw) == w then used = tonumber(vu) end
  end
  local ends = (w + 1) * period - now
  if used + cost > count then
    return false, count - used, ends, ends
  end
  used = used + cost
  local reset = 0
  if used > 0 then reset = ends end
  return true, count - used, reset, 0, string.format('%d %d', w, used), max(1, ceil(ends / 1000))
end
