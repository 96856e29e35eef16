-- enqueue_periodic: claim one tick of a periodic schedule and store its job, unless that tick or a later
-- one was claimed already (by this or any other instance).
-- KEYS[1] the schedule's tick marker (<base>cron:<name>)
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)   ARGV[3..15] the job, as one job of enqueue.lua: its run-at
-- (ARGV[10]) and tick (ARGV[14]) are the tick ms, so a tick still ahead on this clock makes it scheduled.
-- Returns {now, 1, state, due} when enqueued, {now, 0} when the tick was taken.
local now = now_ms(ARGV[2])
local tick = tonumber(ARGV[14])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if last >= tick then return {now, 0} end
redis.call('SET', KEYS[1], tick, 'PX', 31 * 24 * 3600 * 1000)
local r = put(now, ARGV, 3)
if r[2] == 'pending' then notify(now) end
return {now, 1, r[2], r[3]}
