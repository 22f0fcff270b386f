-- stream_add: store values and raise their keys' priority, unless a key is gated or cooling down.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- ARGV[1]  "1" to re-add: lift each key's gate and cool-down first
-- ARGV[2..] triples: key, encoded value, score (finite)
-- Returns  per item, in order: the key's new priority as a string, or false if refused.
local priorities, values, cooling, gated, now_text, now = open_stream()
local readd = ARGV[1] == '1'
local out = {}
for i = 2, #ARGV, 3 do
  local key, value, score = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if readd then
    redis.call('SREM', gated, key)
    redis.call('ZREM', cooling, key)
  end
  if redis.call('SISMEMBER', gated, key) == 1 or redis.call('ZSCORE', cooling, key) then
    out[#out + 1] = false
  else
    redis.call('HSET', values, key, value)
    out[#out + 1] = redis.call('ZINCRBY', priorities, score, key)
  end
end
return out
