-- gcra: the generic cell rate algorithm. State (string): the theoretical arrival time (TAT) in microseconds,
-- the time at which the caller's quota is whole again. A unit moves the TAT on by one interval T; a request
-- fits while the TAT stays within burst x T of now. Redis stores the number as an integer (8 bytes).
S.gc = function(key, count, period, burst, now, cost)
  local t = ceil(period / count)
  local tau = burst * t
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local new_tat = tat + cost * t
  local allow_at = new_tat - tau
  if allow_at > now then
    local left = floor((now + tau - tat) / t)
    if left < 0 then left = 0 end
    return false, left, tat - now, allow_at - now
  end
  return true, floor((now + tau - new_tat) / t), new_tat - now, 0, new_tat, max(1, ceil((new_tat - now) / 1000))
end
