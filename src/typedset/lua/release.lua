-- release: end leases that are still held and put their items back (release, release_many).
-- uses: leases, periodic
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  "" to restore each item's original score, or seconds from now (>= 0) it becomes due at
-- ARGV[2]  max deliveries; "0" for no limit
-- ARGV[3..] pairs: token, member
-- Returns  how many of the leases were still held (and are now released).
-- An item delivered max-deliveries times goes to the dead-letter store
-- instead of back to pending; a periodic member that reschedules on ack then
-- gets its next run (its schedule goes on). A copy already pending keeps the lower score.
local pending, leased, held, deliveries, dead, _, now_text, now = open_set()
local limit = tonumber(ARGV[2])
local released = 0
for i = 3, #ARGV, 2 do
  local token, member = ARGV[i], ARGV[i + 1]
  local value = held_under(held, member, token)
  if value then
    local score = ARGV[1] == '' and held_score(value) or time_text(now + tonumber(ARGV[1]))
    redis.call('ZREM', leased, member)
    redis.call('HDEL', held, member)
    local n = tonumber(redis.call('HGET', deliveries, member) or '0')
    if bury_if_overdelivered(dead, deliveries, member, score, n, limit, now_text) then
      schedule_next(pending, KEYS[8], member, held_score(value), now, 'ack')
    else
      put_back(pending, member, score)
    end
    released = released + 1
  end
end
return released
