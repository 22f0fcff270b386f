-- stream_increment: change the priority of a key that holds an item; never creates one.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- ARGV[1]  key
-- ARGV[2]  by (finite)
-- Returns  the new priority as a string, or false when the key holds no item.
local priorities, values, cooling, gated, now_text, now = open_stream()
if not redis.call('ZSCORE', priorities, ARGV[1]) then return false end
return redis.call('ZINCRBY', priorities, ARGV[2], ARGV[1])
