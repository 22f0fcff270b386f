-- quarantine: move members that cannot be decoded to the dead-letter store.
-- KEYS[1]  the pending ZSET
-- KEYS[2]  the dead-letter HASH: member -> JSON {"reason", "score", "at"}
-- ARGV     triples: member, score (as a string; "" if unknown), reason
-- Returns  the number of members recorded.
-- A member still pending (seen by peek or iteration) is removed; one already
-- popped is recorded all the same, so nothing undecodable vanishes.
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
local n = 0
for i = 1, #ARGV, 3 do
  local member, score, reason = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local current = redis.call('ZSCORE', KEYS[1], member)
  if current then
    score = current
    redis.call('ZREM', KEYS[1], member)
  end
  redis.call('HSET', KEYS[2], member, cjson.encode({reason = reason, score = score, at = now}))
  n = n + 1
end
return n
