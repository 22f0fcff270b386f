-- stream_pull: take the highest-priority items; purge or keep them, gate them, start their cool-down.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- ARGV[1]  count, >= 1
-- ARGV[2]  "1" to purge (remove) the pulled items; otherwise they stay, lowered by ARGV[4]
-- ARGV[3]  "1" to gate the pulled keys: re-adding them is refused until a re-add
-- ARGV[4]  minus the decay: what a kept item's priority changes by
-- ARGV[5]  "in" (ARGV[6] is seconds from now, >= 0) or "at" (ARGV[6] is a Unix time)
-- ARGV[6]  when the cool-down ends
-- Returns  {key1, value1, priority1, key2, ...}, highest priority first (ties: key bytes,
--          descending); each priority as it was before the pull, as Redis prints it.
local priorities, values, cooling, gated, now_text, now = open_stream()
local count, purge, gate = tonumber(ARGV[1]), ARGV[2] == '1', ARGV[3] == '1'
local deadline = tonumber(ARGV[6])
if ARGV[5] == 'in' then deadline = now + deadline end
-- A cool-down that ends at once (a time in the past) ends here, as the next
-- sweep would end it: nothing is kept for it and nothing is barred by it.
local over = deadline <= now
local deadline_text = time_text(deadline)
local out = {}
local found = redis.call('ZREVRANGE', priorities, 0, count - 1, 'WITHSCORES')
for i = 1, #found, 2 do
  local key = found[i]
  out[#out + 1] = key
  out[#out + 1] = redis.call('HGET', values, key)
  out[#out + 1] = found[i + 1]
  if purge or over then
    remove_items(priorities, values, {key})
  else
    redis.call('ZINCRBY', priorities, ARGV[4], key)
  end
  if gate then redis.call('SADD', gated, key) end
  if over then
    redis.call('ZREM', cooling, key)
  else
    redis.call('ZADD', cooling, deadline_text, key)
  end
end
return out
