-- lib/stream: what every PriorityStream script shares (prepended by "-- uses: stream").
-- Every stream script takes the same four keys, all in one cluster slot:
--   KEYS[1] priorities ZSET (at exactly the stream's name), KEYS[2] values HASH,
--   KEYS[3] cool-downs ZSET (key -> deadline in server time), KEYS[4] gated SET.
-- An item is a member of the priorities ZSET together with its field in the
-- values HASH; every script keeps the two in step.
-- uses: clock, chunks

local function remove_items(priorities, values, keys)
  in_chunks('ZREM', priorities, keys)
  in_chunks('HDEL', values, keys)
end

-- End the cool-downs that are over (deadline <= now), and remove the items
-- that pull(purge=False) kept until then. Every stream script calls this
-- first, so what it sees is current and no sweeper process is needed.
-- Returns the keys whose cool-down ended.
local function sweep(priorities, values, cooling, now_text)
  local ended = redis.call('ZRANGEBYSCORE', cooling, '-inf', now_text)
  in_chunks('ZREM', cooling, ended)
  remove_items(priorities, values, ended)
  return ended
end

-- The start of every stream script: its keys and the time, after the sweep.
-- local priorities, values, cooling, gated, now_text, now = open_stream()
local function open_stream()
  local now_text, now = server_time()
  sweep(KEYS[1], KEYS[2], KEYS[3], now_text)
  return KEYS[1], KEYS[2], KEYS[3], KEYS[4], now_text, now
end
