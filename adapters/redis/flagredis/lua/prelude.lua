-- Shared by every flag script (prepended when the script is built).
-- now_ms(arg): the simulated clock of a test when arg > 0, otherwise Redis server time in milliseconds.
-- current(key): the stored fields of a flag hash, {def, on, ver, by, at}; def is false when it is absent.
local function now_ms(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function current(key)
  return redis.call('HMGET', key, 'def', 'on', 'ver', 'by', 'at')
end

-- conflict(cur, expect): whether a change expecting version expect (0 any, -1 absent) must be refused.
local function conflict(cur, expect)
  if expect == -1 then return cur[1] ~= false end
  if expect > 0 then return (not cur[1]) or tonumber(cur[3]) ~= expect end
  return false
end
