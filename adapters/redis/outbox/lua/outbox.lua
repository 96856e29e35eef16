-- Outbox helpers, put before a script's own prelude by outbox.Script. A script that changes state appends
-- the events of that change to the outbox stream of the entity's slot in the same atomic step; the relay
-- forwards them to the topic streams.
-- outbox_read(i): the outbox block of ARGV starting at ARGV[i] (outbox.Args): {maxlen, cid, n, first, next},
--   where next is the index of the first ARGV after the block.
-- outbox_now(): Redis server time in milliseconds (for a script that keeps no clock of its own).
-- outbox_add(key, ob, at, name, version, payload): appends one event envelope to the outbox stream key;
--   at is the occurred-at time in ms, payload the event's JSON (a script may build it with cjson.encode).
-- outbox_emit(key, ob, at): appends every event of the block; returns how many.
local function outbox_read(i)
  local n = tonumber(ARGV[i + 2])
  return {maxlen = ARGV[i], cid = ARGV[i + 1], n = n, first = i + 3, next = i + 3 + 3 * n}
end

local function outbox_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function outbox_add(key, ob, at, name, version, payload)
  return redis.call('XADD', key, 'MAXLEN', '~', ob.maxlen, '*',
    'n', name, 'v', version, 'c', ob.cid, 't', at, 'p', payload)
end

local function outbox_emit(key, ob, at)
  for j = 0, ob.n - 1 do
    local b = ob.first + 3 * j
    outbox_add(key, ob, at, ARGV[b], ARGV[b + 1], ARGV[b + 2])
  end
  return ob.n
end
