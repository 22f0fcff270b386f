-- quarantine: move members that cannot be decoded to the dead-letter store.
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV     quads: member, score (as a string; "" if unknown), reason, lease token ("" if none)
-- Returns  the number of members recorded.
-- A member still pending (seen by peek or iteration) is removed; one already
-- popped is recorded all the same, so nothing undecodable vanishes. A member
-- claimed under the given token loses its lease too, so it does not come back.
local pending, leased, held, deliveries, dead, _, now_text = open_set()
local n = 0
for i = 1, #ARGV, 4 do
  local member, score, reason, token = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local current = redis.call('ZSCORE', pending, member)
  if current then
    score = current
    redis.call('ZREM', pending, member)
  end
  local value = token ~= '' and held_under(held, member, token)
  if value then
    score = held_score(value)
    redis.call('ZREM', leased, member)
    redis.call('HDEL', held, member)
  end
  redis.call('HDEL', deliveries, member)
  redis.call('HDEL', KEYS[8], member) -- an undecodable periodic item's schedule ends
  bury(dead, member, score, reason, now_text)
  n = n + 1
end
return n
