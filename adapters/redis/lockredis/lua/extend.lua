-- extend: set the remaining lease of every lock of one hash slot that a token holds.
-- KEYS     five keys per lock name (see the prelude)
-- ARGV[1]  owner token   ARGV[2] lease ms   ARGV[3] fence retention ms   ARGV[4] now ms (0: Redis TIME)
-- Returns how many of the names the token held (and has now extended).
local token, ttl, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now
local held = 0
for i = 1, #KEYS / 5 do
  local k = lock_keys(i)
  local ok = false
  if redis.call('GET', k.x) == token then
    redis.call('PEXPIRE', k.x, ttl)
    ok = true
  elseif redis.call('EXISTS', k.s) == 1 then
    if not now then now = clock(ARGV[4]) end
    local score = redis.call('ZSCORE', k.s, token)
    if score and tonumber(score) > now then
      slow().add_shared(k, token, now, ttl)
      ok = true
    end
  end
  if ok then
    held = held + 1
    redis.call('PEXPIRE', k.f, keep)
  end
end
return held
