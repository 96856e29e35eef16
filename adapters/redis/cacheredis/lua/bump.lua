-- bump.lua: move a namespace to a new generation (O(1) invalidation of every entry in it).
-- KEYS[1]  the namespace's generation key
-- returns  the new generation: max(old + 1, server time in ms), always larger than any generation before.
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local nxt = math.max(cur + 1, now_ms())
redis.call('SET', KEYS[1], nxt)
return nxt
