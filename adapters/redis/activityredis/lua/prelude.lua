-- Shared by every activity script (prepended when the script is built, after the shared now_ms).
-- next_id(stream, arg, now): the id to XADD with. With server time it is '*'; with a simulated clock it is
-- '<now>-*', unless the stream already holds an entry at or after now (then '*', which Redis keeps
-- increasing), so ids always grow.
local function next_id(stream, arg, now)
  local n = tonumber(arg)
  if not n or n <= 0 then return '*' end
  local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  if last[1] then
    local ms = tonumber(string.match(last[1][1], '^(%d+)-'))
    if ms >= now then return '*' end
  end
  return now .. '-*'
end
