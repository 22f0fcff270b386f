-- add_unique: add members unless pending, under lease or done lately (a set with unique_for).
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  the unique_for window in seconds, > 0
-- ARGV[2..] pairs: score ("" for server time), member
-- Returns  {1 or 0 for each member, in order}: 1 when it was added.
-- A member is refused (nothing written) when it is pending, held (claimed and
-- not yet acked; expired leases return to pending first, so their members are
-- pending again), or was popped, taken or acked less than the window ago. A
-- member moved to the dead letters or discarded is none of these: it is added.
-- Bounded work on the done ZSET: records older than the window go a few at a time.
local pending, _, held, _, _, _, now_text, now = open_set()
local done, window = KEYS[7], tonumber(ARGV[1])
trim_done(done, now, window, 100)
local added = {}
for i = 2, #ARGV, 2 do
  local member = ARGV[i + 1]
  local fresh = not redis.call('ZSCORE', pending, member)
    and not redis.call('HGET', held, member)
    and not done_lately(done, member, now, window)
  if fresh then
    local score = ARGV[i]
    if score == '' then score = now_text end
    redis.call('ZADD', pending, score, member)
  end
  added[#added + 1] = fresh and 1 or 0
end
return added
