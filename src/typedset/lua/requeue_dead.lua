-- requeue_dead: put every dead letter back into the pending set, with its old score.
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- Returns  the number of members moved back.
-- A member that is pending again already keeps its current score (ZADD NX).
-- Each starts again with no deliveries. O(N) in the number of dead letters.
local pending, _, _, deliveries, dead = open_set()
local entries = redis.call('HGETALL', dead)
local members = {}
for i = 1, #entries, 2 do
  local record = cjson.decode(entries[i + 1])
  local score = record.score
  if score == nil or score == '' then score = '0' end
  redis.call('ZADD', pending, 'NX', score, entries[i])
  members[#members + 1] = entries[i]
end
in_chunks('HDEL', deliveries, members)
redis.call('DEL', dead)
return #members
