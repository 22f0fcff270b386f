-- lib/stream: what every PriorityStream script shares (prepended by "-- uses: stream").
-- Every stream script takes the same four keys, all in one cluster slot:
--   KEYS[1] priorities ZSET (at exactly the stream's name), KEYS[2] values HASH,
--   KEYS[3] cool-downs ZSET (key -> deadline in server time), KEYS[4] gated SET;
--   the dead-letter scripts take KEYS[5] too, the dead-letter HASH (key and value hash -> record).
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

-- Record RAW, the value KEY held, in the dead-letter HASH: a JSON header
-- {reason, priority, at} (PRIORITY as Redis printed it, "" if unknown; AT the
-- server time), a newline, then the raw bytes as they were (any bytes: JSON
-- could not hold them). A JSON text has no raw newline, so the first one ends it.
-- The field is KEY, a newline and the SHA-1 of RAW (40 hex digits): every value
-- a key held keeps its own letter (a later one must not drop an earlier one),
-- and the same bytes buried twice under one key (two pulls of a kept item) are
-- one letter, not two.
local function bury_value(dead, key, raw, reason, priority, now_text)
  local header = cjson.encode({reason = reason, priority = priority, at = now_text})
  redis.call('HSET', dead, key .. '\n' .. redis.sha1hex(raw), header .. '\n' .. raw)
end

-- The key of a dead-letter field (see bury_value).
local function buried_key(field)
  return string.sub(field, 1, -42)
end

-- The raw value, the priority (text; "0" if unknown) and the burial time (a
-- number) of a bury_value record.
local function unbury_value(record)
  local newline = string.find(record, '\n', 1, true)
  local header = cjson.decode(string.sub(record, 1, newline - 1))
  local priority = header.priority
  if priority == nil or priority == '' then priority = '0' end
  return string.sub(record, newline + 1), priority, tonumber(header.at)
end

-- The start of every stream script: its keys and the time, after the sweep.
-- local priorities, values, cooling, gated, now_text, now = open_stream()
local function open_stream()
  local now_text, now = server_time()
  sweep(KEYS[1], KEYS[2], KEYS[3], now_text)
  return KEYS[1], KEYS[2], KEYS[3], KEYS[4], now_text, now
end
