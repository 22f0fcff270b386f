-- peek: the member at POSITION in score order, without removing it (peek, peek_score).
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  POSITION (0 is the next to pop; negative counts from the end)
-- ARGV[2]  "1" to see only members whose score is <= server time (ScheduledSet), else "0"
-- Returns  {member, score}, or {} when there is no member at that position.
-- Ready members are the lowest-scored, so their positions among the ready
-- ones equal their ranks in the whole set. Expired leases return first.
local pending, _, _, _, _, _, now_text = open_set()
local position = tonumber(ARGV[1])
local count
if ARGV[2] == '1' then
  count = redis.call('ZCOUNT', pending, '-inf', now_text)
else
  count = redis.call('ZCARD', pending)
end
if position < 0 then position = count + position end
if position < 0 or position >= count then return {} end
return redis.call('ZRANGE', pending, position, position, 'WITHSCORES')
