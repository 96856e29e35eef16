-- now_ms(arg): the simulated clock of a test (ms) when arg is a number above 0, otherwise Redis server time
-- in milliseconds (TIME; arg may be nil).
local function now_ms(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
