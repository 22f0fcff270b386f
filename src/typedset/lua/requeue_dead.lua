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
-- ARGV[1]  unique_for window in seconds ("0": none)
-- Returns  the number of members moved back.
-- A member that is pending again already keeps its current score (ZADD NX).
-- Each starts again with no deliveries. With a window (unique_for), a member
-- under lease or done less than the window ago stays a dead letter: its work
-- is in hand or was done (it was added again after it was buried), and putting
-- it back would run it twice. O(N) in the number of dead letters.
local pending, _, held, deliveries, dead, _, _, now = open_set()
local window = tonumber(ARGV[1])
local entries = redis.call('HGETALL', dead)
local members = {}
for i = 1, #entries, 2 do
  local member = entries[i]
  if not (window > 0 and (redis.call('HGET', held, member)
      or done_lately(KEYS[7], member, now, window))) then
    local record = cjson.decode(entries[i + 1])
    local score = record.score
    if score == nil or score == '' then score = '0' end
    redis.call('ZADD', pending, 'NX', score, member)
    members[#members + 1] = member
  end
end
in_chunks('HDEL', deliveries, members)
in_chunks('HDEL', dead, members)
return #members
