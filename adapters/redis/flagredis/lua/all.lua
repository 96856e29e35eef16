-- all: every flag and the version they are at, read in one step.
-- KEYS[1] version (string)   KEYS[2] index (set of flag keys)
-- ARGV[1] key prefix of the flag hashes
-- Returns {version, key, {def, on, ver, by, at}, key, {...}, ...}; a key whose hash is gone is skipped.
local out = {tonumber(redis.call('GET', KEYS[1]) or '0')}
for _, k in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local cur = current(ARGV[1] .. k)
  if cur[1] then
    out[#out + 1] = k
    out[#out + 1] = cur
  end
end
return out
