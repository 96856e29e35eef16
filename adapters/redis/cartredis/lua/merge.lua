-- merge: merge a detached guest cart's lines into a user's cart, once per guest cart.
-- KEYS[1] the user's cart (hash)   KEYS[2] the merge marker of the guest cart (string
-- "<lines merged>,<merged ms>,<published 0|1>")
-- ARGV[1] now ms (0: server time)   ARGV[2] user cart ttl ms   ARGV[3] marker ttl ms
-- ARGV[4] policy: "sum", "max" or "keep-user"   ARGV[5] max lines   ARGV[6] max quantity
-- ARGV[7], ARGV[8], ... the guest lines as sku, encoded line pairs
-- Returns {1, lines merged, merged ms, sku, encoded line, ...} when merged now, listing the user's lines for
-- the guest's SKUs after the merge; {2, lines merged, merged ms, published} when merged before;
-- {-1} while a checkout holds the user's cart.
local m = redis.call('GET', KEYS[2])
if m then
  local n, at, pub = string.match(m, '^(%d+),(%d+),(%d)$')
  return {2, tonumber(n), tonumber(at), tonumber(pub)}
end
local key = KEYS[1]
if redis.call('HEXISTS', key, 'co') == 1 then return {-1} end
local now = now_ms(ARGV[1])
local policy, max_lines, max_q = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local count = count_lines(key)
local merged, after = 0, {}
for i = 7, #ARGV, 2 do
  local sku = ARGV[i]
  local gq, gp, ga = decode(ARGV[i + 1])
  local field = 'l:' .. sku
  local cur = redis.call('HGET', key, field)
  local v = cur
  if cur then
    local uq, up, ua = decode(cur)
    local q = uq
    if policy == 'sum' then q = math.min(uq + gq, max_q) elseif policy == 'max' then q = math.max(uq, gq) end
    if q ~= uq then v = encode(q, up, ua) end
  elseif count < max_lines then
    count = count + 1
    v = encode(gq, gp, ga)
  end
  if v ~= cur then
    redis.call('HSET', key, field, v)
    merged = merged + 1
  end
  if v then
    after[#after + 1] = sku
    after[#after + 1] = v
  end
end
if merged > 0 then touch(key, now, ARGV[2]) end
redis.call('SET', KEYS[2], string.format('%d,%d,0', merged, now), 'PX', ARGV[3])
local out = {1, merged, now}
for _, v in ipairs(after) do out[#out + 1] = v end
return out
