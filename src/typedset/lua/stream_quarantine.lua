-- stream_quarantine: move values that cannot be decoded to the stream's dead-letter store.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- KEYS[5]  dead-letter HASH: key and value hash -> record (see lib/stream.lua, bury_value)
-- ARGV     quintuples: key, raw value, reason, priority ("" if unknown), mode:
--          "taken"  a value pull took: recorded as given (its item is gone, or kept until
--                   its cool-down ends: then it leaves the stream now)
--          "seen"   a value read by get or iteration: moved only while the key still
--                   holds exactly those bytes (a value replaced meanwhile is not dead)
--          "key"    a key that is not text: whatever item it holds is moved
-- Returns  the number of values recorded.
local priorities, values, cooling, gated, now_text = open_stream()
local dead = KEYS[5]
local n = 0
for i = 1, #ARGV, 5 do
  local key, raw, reason, priority, mode = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local held = redis.call('HGET', values, key)
  local record = mode == 'taken'
  if held and (mode == 'key' or held == raw) then
    if mode ~= 'taken' then
      raw = held
      priority = redis.call('ZSCORE', priorities, key) or ''
    end
    remove_items(priorities, values, {key})
    record = true
  end
  if record then
    bury_value(dead, key, raw, reason, priority, now_text)
    n = n + 1
  end
end
return n
