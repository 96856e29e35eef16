-- resume: unpause a queue; hand pending jobs to idle workers and wake one for the rest.
-- KEYS[1] the queue's paused flag
-- ARGV[1] key base   ARGV[2] now ms (0: TIME)
-- Returns 1.
redis.call('DEL', KEYS[1])
notify(now_ms(ARGV[2]))
return 1
