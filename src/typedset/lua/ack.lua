-- ack: finish leases that are still held; their items leave for good (ack, ack_many).
-- uses: leases, periodic
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  unique_for window in seconds ("0": none): acked members are recorded as done
-- ARGV[2..] pairs: token, member
-- Returns  how many of the leases were still held (and are now finished).
-- A lease that ended (expired, released, or claimed again since) is left alone.
-- A periodic member that reschedules on ack is put back due at its next run.
local pending, leased, held, deliveries, _, _, now_text, now = open_set()
local periodic = KEYS[8]
local done, seen = {}, {}
for i = 2, #ARGV, 2 do
  local token, member = ARGV[i], ARGV[i + 1]
  local value = not seen[member] and held_under(held, member, token)
  if value then
    seen[member] = true
    done[#done + 1] = member
    schedule_next(pending, periodic, member, held_score(value), now, 'ack')
  end
end
in_chunks('ZREM', leased, done)
in_chunks('HDEL', held, done)
in_chunks('HDEL', deliveries, done)
mark_done(KEYS[7], done, now_text, now, tonumber(ARGV[1]))
return #done
