-- pop: remove and return up to COUNT members from the head (pop, take: at most once).
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- ARGV[1]  COUNT, >= 0 (0: only forget the counts of ARGV[3..])
-- ARGV[2]  "1" to take only members whose score <= server time (ScheduledSet), else "0"
-- ARGV[3..] members the caller's blocking pop took (BZPOPMIN): forget their delivery counts too
-- Returns  {now, next, {member1, score1, member2, score2, ...}}
--          now:  the server time used, as a decimal string ("" when something
--                was taken from a set without leases: no clock was needed)
--          next: when nothing was taken, the earliest time something may become
--                takeable (a due score or a lease deadline), "" if none;
--                lets a waiting caller sleep until then
-- Not open_set(): a set that holds no lease (the usual case for pop) skips
-- the clock and the lease scan, a third of this script's time.
local pending, leased, held, deliveries = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local count, ready_only = tonumber(ARGV[1]), ARGV[2] == '1'
local now_text = ''
if ready_only or redis.call('EXISTS', leased) == 1 then
  now_text = server_time()
  return_expired(pending, leased, held, now_text)
end
local found
if count == 0 then
  found = {}
elseif ready_only then
  found = redis.call('ZRANGEBYSCORE', pending, '-inf', now_text, 'WITHSCORES', 'LIMIT', 0, count)
else
  found = redis.call('ZPOPMIN', pending, count)
end
local members = {}
for i = 1, #found, 2 do members[#members + 1] = found[i] end
if ready_only then in_chunks('ZREM', pending, members) end
for i = 3, #ARGV do members[#members + 1] = ARGV[i] end
forget_deliveries(held, deliveries, members)
if #found > 0 then return {now_text, '', found} end
if now_text == '' then now_text = server_time() end
return {now_text, next_event(pending, leased, ready_only, now_text), {}}
