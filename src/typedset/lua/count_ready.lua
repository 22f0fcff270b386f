-- count_ready: how many members have a score <= server time (ScheduledSet.available).
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- Returns  the count, after expired leases returned to pending.
local pending, _, _, _, _, _, now_text = open_set()
return redis.call('ZCOUNT', pending, '-inf', now_text)
