-- stats: the counts and times of SortedSet.stats(), read at one instant.
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  "1" when only due members can be taken (ScheduledSet), else "0"
-- Returns  {pending, due, leased, dead letters, periodic schedules, lowest pending
--          score or "", lowest score after now or "" (ScheduledSet; else ""), now},
--          after expired leases returned to pending (the only write, as every read
--          of the head does).
local pending, leased, _, _, dead, _, now_text = open_set()
local total = redis.call('ZCARD', pending)
local due = total
local next_due = ''
if ARGV[1] == '1' then
  due = redis.call('ZCOUNT', pending, '-inf', now_text)
  local later = redis.call('ZRANGEBYSCORE', pending, '(' .. now_text, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  next_due = later[2] or ''
end
local oldest = redis.call('ZRANGE', pending, 0, 0, 'WITHSCORES')
return {
  total, due, redis.call('ZCARD', leased), redis.call('HLEN', dead),
  redis.call('HLEN', KEYS[8]), oldest[2] or '', next_due, now_text,
}
