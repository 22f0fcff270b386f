-- stream_size: how many items the stream holds.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- Returns  the number of items.
local priorities, values, cooling, gated, now_text, now = open_stream()
return redis.call('ZCARD', priorities)
