-- stream_lookup: one key's value and priority.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- ARGV[1]  key
-- Returns  {value, priority as a string}, each false when the key holds no item.
local priorities, values, cooling, gated, now_text, now = open_stream()
return {redis.call('HGET', values, ARGV[1]), redis.call('ZSCORE', priorities, ARGV[1])}
