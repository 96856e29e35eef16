-- Shared by every session script (prepended when the script is built, after the shared now_ms).
-- alive(h, now): the session hash has the fields of a live session, and neither its idle nor its absolute
-- limit has passed at now.
local function alive(key, now)
  local f = redis.call('HMGET', key, 'ie', 'ae')
  if not f[1] then return false end
  return now < tonumber(f[1]) and now < tonumber(f[2])
end

-- ttl_ms(now, idle_at, abs_at): what is left before the earlier limit.
local function ttl_ms(now, idle_at, abs_at)
  local left = math.min(idle_at, abs_at) - now
  if left < 1 then left = 1 end
  return left
end

-- prune(index, prefix, now): removes from the user's index, and deletes, every session that is no longer
-- alive; returns the ids removed.
local function prune(index, prefix, now)
  local gone = {}
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local key = prefix .. id
    if not alive(key, now) then
      redis.call('DEL', key)
      redis.call('ZREM', index, id)
      gone[#gone + 1] = id
    end
  end
  return gone
end
