-- prelude.lua: shared by every cache script.
-- now_ms(): the server clock (Redis TIME) in milliseconds.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
