-- add_periodic: add a member that is due again every interval (ScheduledSet.add_periodic).
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
-- ARGV[2]  the schedule: "<every> <anchor> <reschedule>" (see lib/periodic.lua)
-- ARGV[3]  first due time; "" for server time (due at once)
-- ARGV[4]  ZADD flag for a member already pending: "" (replace), "NX", "LT" or "GT"
-- Returns  1 when the member was not pending and now is, else 0.
-- The schedule is recorded (replacing one the member had). A member under
-- lease (expired leases return to pending first, so such a member is pending)
-- keeps a pending copy it has as it is; without one, with reschedule "ack" its
-- ack schedules the next run, and with "claim" the first run goes to pending
-- now, which claim skips until the lease ends: the claim that handed out the
-- held run scheduled nothing (the member was not periodic, or rescheduled on
-- ack), and nothing else would.
local pending, _, held, _, _, _, now_text = open_set()
local member = ARGV[1]
redis.call('HSET', KEYS[8], member, ARGV[2])
if redis.call('HGET', held, member) then
  if string.match(ARGV[2], '(%S+)$') == 'ack' or redis.call('ZSCORE', pending, member) then return 0 end
end
local first = ARGV[3]
if first == '' then first = now_text end
if ARGV[4] ~= '' then return redis.call('ZADD', pending, ARGV[4], first, member) end
return redis.call('ZADD', pending, first, member)
