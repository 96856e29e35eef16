-- trim: remove completed and dead jobs past their retention (age or count), with their data.
-- KEYS[1] the queue's done set   KEYS[2] the queue's dead set
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)   ARGV[3] completed keep ms   ARGV[4] completed max
-- ARGV[5] dead keep ms   ARGV[6] dead max   ARGV[7] budget per set
-- Returns {removed, more (0/1)}: more when a set hit the budget and may hold more to remove.
local now = now_ms(ARGV[2])
local budget = tonumber(ARGV[7])
local a = trim(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]), now, budget)
local b = trim(KEYS[2], tonumber(ARGV[5]), tonumber(ARGV[6]), now, budget)
local more = 0
if a >= budget or b >= budget then more = 1 end
return {a + b, more}
