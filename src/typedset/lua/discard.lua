-- discard: remove a pending member (discard, remove); its delivery count goes with it,
-- and a periodic member's schedule ends.
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  member
-- Returns  1 if it was pending, else 0. A lease on the same member is not touched.
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if removed == 1 then forget_deliveries(KEYS[3], KEYS[4], {ARGV[1]}) end
redis.call('HDEL', KEYS[8], ARGV[1])
return removed
