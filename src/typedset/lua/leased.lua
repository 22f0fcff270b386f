-- leased: every lease still held, earliest deadline first.
-- uses: leases
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- Returns  {member1, deadline1, token1, deliveries1, score1, ...}: score is the one it was claimed at
local _, leased, held, deliveries = open_set()
local found = redis.call('ZRANGE', leased, 0, -1, 'WITHSCORES')
local members = {}
for i = 1, #found, 2 do members[#members + 1] = found[i] end
local values = fetch_in_chunks('HMGET', held, members)
local counts = fetch_in_chunks('HMGET', deliveries, members)
local out = {}
for i, member in ipairs(members) do
  if values[i] then -- always, unless someone edited the keys by hand
    out[#out + 1] = member
    out[#out + 1] = found[2 * i]
    out[#out + 1] = held_token(values[i])
    out[#out + 1] = counts[i] or '0'
    out[#out + 1] = held_score(values[i])
  end
end
return out
