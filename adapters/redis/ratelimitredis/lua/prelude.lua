-- Shared by every rate-limit script (prepended when a script is built; see scripts.go).
-- Times are integer microseconds. Every strategy file adds one function to S:
--   S[code](key, count, period, burst, now, cost) -> allowed, remaining, reset_after, retry_after, value, ttl
-- allowed is a boolean; remaining the units left after the decision; reset_after the time until the tier is
-- back to full quota; retry_after 0 when allowed, else the time until it would admit the same cost; value and
-- ttl (whole ms, at least 1) the state to store when the request is admitted (run.lua stores it, only when every tier allowed
-- and cost > 0; nothing is allocated for it). With cost 0 a strategy only reports its state.
-- The bucket strategies space units ceil(period / count) microseconds apart, rounded up so rounding never
-- admits more than count per period. (The scripts define as few functions as they can: a closure is made
-- on every call, and that costs Redis measurably per decision.)
local S = {}
local floor, ceil, max = math.floor, math.ceil, math.max
-- LOG is the value sliding_log returns instead of a string to SET; log_add (in sliding_log.lua) stores it.
local LOG = 'sliding_log'
local log_add
