-- wake: leave a wake-up token for an idle worker of the queue (unless one waits already or it is paused).
-- KEYS[1] the queue's wake list
-- ARGV[1] key base
-- Returns 1.
wake()
return 1
