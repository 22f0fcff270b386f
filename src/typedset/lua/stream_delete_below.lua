-- stream_delete_below: remove the items whose priority is strictly below a threshold.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- ARGV[1]  threshold (finite)
-- ARGV[2]  "1" to gate the removed keys as well
-- Returns  the removed keys, highest priority first.
local priorities, values, cooling, gated, now_text, now = open_stream()
local keys = redis.call('ZREVRANGEBYSCORE', priorities, '(' .. ARGV[1], '-inf')
remove_items(priorities, values, keys)
if ARGV[2] == '1' then in_chunks('SADD', gated, keys) end
return keys
