-- ack: finish leases that are still held; their items leave for good (ack, ack_many).
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- ARGV     pairs: token, member
-- Returns  how many of the leases were still held (and are now finished).
-- A lease that ended (expired, released, or claimed again since) is left alone.
local _, leased, held, deliveries = open_set()
local done, seen = {}, {}
for i = 1, #ARGV, 2 do
  local token, member = ARGV[i], ARGV[i + 1]
  if not seen[member] and held_under(held, member, token) then
    seen[member] = true
    done[#done + 1] = member
  end
end
in_chunks('ZREM', leased, done)
in_chunks('HDEL', held, done)
in_chunks('HDEL', deliveries, done)
return #done
