-- checkout_abort: unfreeze a cart when the given checkout still holds it.
-- KEYS[1] the cart (hash)
-- ARGV[1] order id
-- Returns 1 when unfrozen, 0 when that checkout did not hold the cart.
if redis.call('HGET', KEYS[1], 'co') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'co', 'cu')
return 1
