-- stream_page: the next items in priority order after a cursor, for iteration.
-- uses: stream, cursor
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- ARGV[1]  page size, >= 1
-- ARGV[2]  cursor priority as Redis printed it, or "" to start at the highest
-- ARGV[3]  cursor key (the last one already yielded)
-- ARGV[4]  "1" to return values too
-- Returns  {key1, priority1, value1, ...} (value false when not asked for),
--          highest priority first, keys strictly after the cursor.
local priorities, values, cooling, gated, now_text, now = open_stream()
local start = start_after(priorities, ARGV[2], ARGV[3], true)
local found = redis.call('ZREVRANGE', priorities, start, start + tonumber(ARGV[1]) - 1, 'WITHSCORES')
local out = {}
for i = 1, #found, 2 do
  out[#out + 1] = found[i]
  out[#out + 1] = found[i + 1]
  out[#out + 1] = ARGV[4] == '1' and redis.call('HGET', values, found[i])
end
return out
