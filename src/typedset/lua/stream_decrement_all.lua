-- stream_decrement_all: lower every item's priority by the same amount. O(N log N).
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- ARGV[1]  minus the amount (finite)
-- Returns  how many items changed.
local priorities, values, cooling, gated, now_text, now = open_stream()
local keys = redis.call('ZRANGE', priorities, 0, -1)
for _, key in ipairs(keys) do redis.call('ZINCRBY', priorities, ARGV[1], key) end
return #keys
