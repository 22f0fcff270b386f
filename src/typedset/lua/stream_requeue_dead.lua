-- stream_requeue_dead: put the stream's dead letters back, each with its key and priority.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- KEYS[5]  dead-letter HASH: key and value hash -> record (see lib/stream.lua, bury_value)
-- Returns  the number of items put back.
-- Each goes back as add(readd=True) would put it: its key's gate and cool-down are
-- lifted (a cool-down left in place would remove the item when it ends). A key holds
-- one item: of the letters of a key that holds none, the oldest goes back (ties: by
-- field bytes) and the others stay; a key that holds an item again keeps that newer
-- item, and its letters stay. O(D log N) for D dead letters.
local priorities, values, cooling, gated = open_stream()
local dead = KEYS[5]
local entries = redis.call('HGETALL', dead)
local chosen, order = {}, {}
for i = 1, #entries, 2 do
  local field = entries[i]
  local key = buried_key(field)
  if not redis.call('ZSCORE', priorities, key) then
    local raw, priority, at = unbury_value(entries[i + 1])
    local best = chosen[key]
    if not best then order[#order + 1] = key end
    if not best or at < best.at or (at == best.at and field < best.field) then
      chosen[key] = {field = field, raw = raw, priority = priority, at = at}
    end
  end
end
for _, key in ipairs(order) do
  local letter = chosen[key]
  redis.call('SREM', gated, key)
  redis.call('ZREM', cooling, key)
  redis.call('HSET', values, key, letter.raw)
  redis.call('ZADD', priorities, letter.priority, key)
  redis.call('HDEL', dead, letter.field)
end
return #order
