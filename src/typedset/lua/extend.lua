-- extend: move the deadline of leases that are still held to server time + TTL (extend, extend_many).
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  TTL in seconds, > 0
-- ARGV[2..] pairs: token, member
-- Returns  how many of the leases were still held (and now end at the new deadline);
--          a lease listed twice counts once.
local _, leased, held, _, _, _, _, now = open_set()
local deadline = time_text(now + tonumber(ARGV[1]))
local extended, seen = 0, {}
for i = 2, #ARGV, 2 do
  local token, member = ARGV[i], ARGV[i + 1]
  if not seen[member] and held_under(held, member, token) then
    seen[member] = true
    redis.call('ZADD', leased, 'XX', deadline, member)
    extended = extended + 1
  end
end
return extended
