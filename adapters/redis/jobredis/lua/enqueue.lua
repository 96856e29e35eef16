-- enqueue: store a batch of jobs of one queue; hand pending ones to idle workers, and wake one for the rest.
-- KEYS[1] the queue's scheduled set (routing; every key is built from ARGV[1])
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)   ARGV[3] number of jobs n
-- ARGV[4 ..] 13 values per job: id, type, payload, priority, max retries, timeout ms, delay ms, run-at ms,
--            unique key ('' for none), unique ttl ms, periodic name (''), tick ms, correlation id ('')
-- Returns {now, r1, r2, ...}, each r = {1, state, due ms} (stored) or {0, existing id} (unique key held).
-- Job ids are 96 random bits, so they are not checked for collisions (one in ~10^11 at a billion jobs).
local now = now_ms(ARGV[2])
local n = tonumber(ARGV[3])
local out = {now}
local ready = false
for j = 0, n - 1 do
  local r = put(now, ARGV, 4 + j * 13)
  if r[1] == 1 and r[2] == 'pending' then ready = true end
  out[#out + 1] = r
end
if ready then notify(now) end
return out
