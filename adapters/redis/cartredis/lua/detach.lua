-- detach: take a guest cart out of use for merging it into a user's cart. The cart is renamed (same slot),
-- so from now on its token finds nothing; the copy remembers the user and expires by itself.
-- KEYS[1] the guest cart (hash)   KEYS[2] its detached copy (hash)
-- ARGV[1] user id   ARGV[2] how long the detached copy is kept (ms)
-- Returns {1, sku, encoded line, ...}: the lines to merge (again, when detached for this user before);
-- {0} nothing to merge; {-1} a checkout holds the guest cart.
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HEXISTS', KEYS[1], 'co') == 1 then return {-1} end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[2], 'mu', ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
elseif redis.call('HGET', KEYS[2], 'mu') ~= ARGV[1] then
  return {0}
end
local out = {1}
for _, v in ipairs(lines(KEYS[2])) do out[#out + 1] = v end
return out
