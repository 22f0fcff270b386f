-- pop: remove and return up to COUNT members from the head (pop, take: at most once).
-- uses: leases, periodic
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  COUNT, >= 0 (0: only forget the counts of ARGV[3..])
-- ARGV[2]  "1" to take only members whose score <= server time (ScheduledSet), else "0"
-- ARGV[3]  unique_for window in seconds ("0": none): popped members are recorded as done
-- ARGV[4..] members the caller's blocking pop took (BZPOPMIN): forget their delivery counts too
--          (never given with a window: a unique set polls this script instead)
-- Returns  {now, next, {member1, score1, member2, score2, ...}}
--          now:  the server time used, as a decimal string ("" when something
--                was taken from a set without leases: no clock was needed)
--          next: when nothing was taken, the earliest time something may become
--                takeable (a due score or a lease deadline), "" if none;
--                lets a waiting caller sleep until then
-- A periodic member (ScheduledSet.add_periodic) is put back due at its next
-- run in the same call: each run is handed out once.
-- Not open_set(): a set that holds no lease (the usual case for pop) skips
-- the clock and the lease scan, a third of this script's time.
local pending, leased, held, deliveries = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local done, periodic = KEYS[7], KEYS[8]
local count, ready_only, window = tonumber(ARGV[1]), ARGV[2] == '1', tonumber(ARGV[3])
local now_text, now = '', nil
if ready_only or window > 0 or redis.call('EXISTS', leased) == 1 then
  now_text, now = server_time()
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
if ready_only then
  in_chunks('ZREM', pending, members)
  if #members > 0 and redis.call('EXISTS', periodic) == 1 then
    for i, member in ipairs(members) do schedule_next(pending, periodic, member, found[2 * i], now) end
  end
end
mark_done(done, members, now_text, now, window)
for i = 4, #ARGV do members[#members + 1] = ARGV[i] end
forget_deliveries(held, deliveries, members)
if #found > 0 then return {now_text, '', found} end
if now_text == '' then now_text = server_time() end
return {now_text, next_event(pending, leased, ready_only, now_text), {}}
