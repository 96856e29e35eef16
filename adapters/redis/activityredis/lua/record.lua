-- record: store one activity in the user's feed (and its session's replay), remember its idempotency key,
-- and feed the detector watching its action, in one step on the user's keys.
-- KEYS[1] the user's feed (stream)   KEYS[2] the session's replay (stream; unused without a session)
-- KEYS[3] the idempotency marker (string: the feed entry id)   KEYS[4] the detector's window (sorted set:
-- feed entry id scored by ms)   KEYS[5] the detector's fired marker (string: ms it last fired)
-- ARGV[1] activity id   ARGV[2] action   ARGV[3] object   ARGV[4] properties JSON   ARGV[5] session id ('' none)
-- ARGV[6] now ms (0: server time)   ARGV[7] feed max length   ARGV[8] session max length   ARGV[9] retention ms
-- ARGV[10] dedupe window ms (0: no dedupe)   ARGV[11] detector limit (0: no detector)   ARGV[12] detector window ms
-- ARGV[13] user id
-- Returns {0, entry id} for a duplicate (nothing stored), else {1, entry id, fired (0/1), count, first ms}.
if ARGV[10] ~= '0' then
  local seen = redis.call('GET', KEYS[3])
  if seen then return {0, seen} end
end
local now = now_ms(ARGV[6])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[7], next_id(KEYS[1], ARGV[6], now),
  'v', '1', 'i', ARGV[1], 'u', ARGV[13], 'a', ARGV[2], 'o', ARGV[3], 'p', ARGV[4], 's', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[9])
if ARGV[5] ~= '' then
  -- The session's entries are a subset of the feed's, so the feed's new id is above all of them.
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[8], id,
    'v', '1', 'i', ARGV[1], 'u', ARGV[13], 'a', ARGV[2], 'o', ARGV[3], 'p', ARGV[4], 's', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[9])
end
if ARGV[10] ~= '0' then
  redis.call('SET', KEYS[3], id, 'PX', ARGV[10])
end
local at = tonumber(string.match(id, '^(%d+)-'))
local limit = tonumber(ARGV[11])
if limit == 0 then return {1, id, 0, 0, 0} end
local window = tonumber(ARGV[12])
redis.call('ZADD', KEYS[4], at, id)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. (at - window + 1))
redis.call('PEXPIRE', KEYS[4], window)
local count = redis.call('ZCARD', KEYS[4])
-- Fire once per window: not again until a whole window has passed since it last fired (the marker
-- holds that time, so a simulated clock is honoured; its PX only collects it).
local fired = tonumber(redis.call('GET', KEYS[5]) or '')
if count < limit or (fired and at - fired < window) then return {1, id, 0, count, 0} end
redis.call('SET', KEYS[5], at, 'PX', window)
local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
return {1, id, 1, count, tonumber(first[2])}
