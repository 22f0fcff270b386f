-- stream_expire: end the cool-downs that are over (every stream script does this first).
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- Returns  how many cool-downs ended.
local priorities, values, cooling = KEYS[1], KEYS[2], KEYS[3]
local now_text = server_time()
return #sweep(priorities, values, cooling, now_text)
