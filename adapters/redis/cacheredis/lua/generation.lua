-- generation.lua: read a namespace's generation, creating it when absent.
-- KEYS[1]  the namespace's generation key
-- returns  the generation (integer). A created generation is the server time in ms, so a generation key
--          that was evicted or deleted never restarts below a number already used, and no orphaned entry
--          of an old generation can become reachable again.
local g = redis.call('GET', KEYS[1])
if g then
  return tonumber(g)
end
local t = now_ms()
redis.call('SET', KEYS[1], t)
return t
