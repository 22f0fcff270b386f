-- stream_cool_down: set when one key's cool-down ends (start it, move it, or end it now).
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- ARGV[1]  key
-- ARGV[2]  "in" (ARGV[3] is seconds from now, >= 0) or "at" (ARGV[3] is a Unix time)
-- ARGV[3]  when the cool-down ends
-- Returns  the deadline, in server time, as a string; false, with nothing written,
--          when the key holds an item that is not cooling down (one no pull kept).
-- Until then re-adding the key is refused. When it ends, the item the key holds (if
-- any) leaves the stream, as an item pull(purge=False) kept does; a deadline that is
-- not in the future ends it here, as the next sweep would. An item that is not
-- cooling down was never pulled (or was re-added since): a cool-down would drop it
-- undelivered when it ends, so it is refused instead.
local priorities, values, cooling, gated, now_text, now = open_stream()
local key = ARGV[1]
if redis.call('ZSCORE', priorities, key) and not redis.call('ZSCORE', cooling, key) then
  return false
end
local deadline = tonumber(ARGV[3])
if ARGV[2] == 'in' then deadline = now + deadline end
local deadline_text = time_text(deadline)
redis.call('ZADD', cooling, deadline_text, key)
if deadline <= now then sweep(priorities, values, cooling, now_text) end
return deadline_text
