-- stream_requeue_dead: put the stream's dead letters back, each with its key and priority.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- KEYS[5]  dead-letter HASH: key -> record (see lib/stream.lua, bury_value)
-- Returns  the number of items put back.
-- Each goes back as add(readd=True) would put it: its key's gate and cool-down are
-- lifted (a cool-down left in place would remove the item when it ends). A key that
-- holds an item again keeps that newer item, and its dead letter stays in the store.
-- O(D log N) for D dead letters.
local priorities, values, cooling, gated = open_stream()
local dead = KEYS[5]
local entries = redis.call('HGETALL', dead)
local n = 0
for i = 1, #entries, 2 do
  local key = entries[i]
  if not redis.call('ZSCORE', priorities, key) then
    local raw, priority = unbury_value(entries[i + 1])
    redis.call('SREM', gated, key)
    redis.call('ZREM', cooling, key)
    redis.call('HSET', values, key, raw)
    redis.call('ZADD', priorities, priority, key)
    redis.call('HDEL', dead, key)
    n = n + 1
  end
end
return n
