-- stats: count a queue's jobs by state, with totals and the previous full minute's throughput (read only).
-- KEYS[1] the queue's stats hash
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)
-- Returns {paused, pending, scheduled, active, retry, dead, completed, done total, failed total,
--          done last minute, failed last minute}
local now = now_ms(ARGV[2])
local pending = 0
for p = 0, MAXP do pending = pending + redis.call('LLEN', rkey(p)) end
local totals = redis.call('HMGET', KEYS[1], 'done', 'failed')
local minute = redis.call('HMGET', B .. 'm:' .. (math.floor(now / 60000) - 1), 'done', 'failed')
return {redis.call('EXISTS', B .. 'paused'), pending, redis.call('ZCARD', B .. 'scheduled'),
  redis.call('ZCARD', B .. 'active'), redis.call('ZCARD', B .. 'retry'), redis.call('ZCARD', B .. 'dead'),
  redis.call('ZCARD', B .. 'done'), tonumber(totals[1] or '0'), tonumber(totals[2] or '0'),
  tonumber(minute[1] or '0'), tonumber(minute[2] or '0')}
