-- sliding_counter: the sliding-window counter. It keeps the counts of the current and the previous fixed
-- window and estimates the sliding window as prev x (share of the previous window still inside it) + cur.
-- O(1) memory; approximate across windows (it assumes the previous window's units were spread evenly), but
-- it never admits more than count within one fixed window. State (string): "<window> <cur> <prev>"; the
-- key expires when the current window's units leave the sliding window.
S.sc = function(key, count, period, burst, now, cost)
  local w = floor(now / period)
  local cur, prev = 0, 0
  local v = redis.call('GET', key)
  if v then
    local vw, vc, vp = string.match(v, '^(%d+) (%d+) (%d+)$')
    if vw then
      vw = tonumber(vw)
      if vw == w then
        cur, prev = tonumber(vc), tonumber(vp)
      elseif vw == w - 1 then
        prev = tonumber(vc)
      end
    end
  end
  local elapsed = now - w * period
  local est = prev * (period - elapsed) / period + cur
  local left = floor(count - est)
  if left < 0 then left = 0 end
  local reset = 0
  if cur > 0 then reset = 2 * period - elapsed elseif prev > 0 then reset = period - elapsed end
  if est + cost > count then
    local retry
    if cur + cost <= count then
      -- the previous window's share shrinks enough within this window
      retry = ceil(period - elapsed - (count - cur - cost) * period / prev)
    else
      -- wait for the next window, then for this window's share to shrink enough
      local share = period - (count - cost) * period / cur
      if share < 0 then share = 0 end
      retry = ceil(period - elapsed + share)
    end
    if retry < 1 then retry = 1 end
    return false, left, reset, retry
  end
  cur = cur + cost
  left = floor(count - est - cost)
  if left < 0 then left = 0 end
  if cur > 0 then reset = 2 * period - elapsed end
  if cost == 0 then return true, left, reset, 0 end
  return true, left, reset, 0, string.format('%d %d %d', w, cur, prev), max(1, ceil((2 * period - elapsed) / 1000))
end
