-- merge_done: note on a merge marker that cart.merged was published (the marker keeps its lifetime).
-- KEYS[1] the merge marker (string "<lines merged>,<merged ms>,<published 0|1>")
-- Returns 1 when noted, 0 when there is no marker.
local m = redis.call('GET', KEYS[1])
if not m then return 0 end
redis.call('SET', KEYS[1], string.gsub(m, '%d$', '1'), 'KEEPTTL')
return 1
