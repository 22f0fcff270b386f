-- stream_stats: the counts of PriorityStream.stats(), read at one instant.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- KEYS[5]  dead-letter HASH: key and value hash -> record (see lib/stream.lua)
-- Returns  {items, gated keys, cooling keys, dead letters, highest priority or "", now},
--          after the cool-downs that are over ended (the only write, as every
--          stream script does first).
local priorities, _, cooling, gated, now_text = open_stream()
local top = redis.call('ZRANGE', priorities, -1, -1, 'WITHSCORES')
return {
  redis.call('ZCARD', priorities), redis.call('SCARD', gated), redis.call('ZCARD', cooling),
  redis.call('HLEN', KEYS[5]), top[2] or '', now_text,
}
