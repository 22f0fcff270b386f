-- requeue_dead: put every dead letter back into the pending set, with its old score.
-- KEYS[1]  the pending ZSET
-- KEYS[2]  the dead-letter HASH (see quarantine.lua)
-- Returns  the number of members moved back.
-- A member that is pending again already keeps its current score (ZADD NX).
-- O(N) in the number of dead letters.
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local record = cjson.decode(entries[i + 1])
  local score = record.score
  if score == nil or score == '' then score = '0' end
  redis.call('ZADD', KEYS[1], 'NX', score, entries[i])
end
redis.call('DEL', KEYS[2])
return #entries / 2
