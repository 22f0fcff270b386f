-- expiring_combine: &= or ^= with a list of members, atomically.
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- ARGV[1]  "and": keep only the listed members; "xor": remove the listed members
--          present, add (deadline now + ttl) the listed ones absent
-- ARGV[2]  ttl in milliseconds, >= 1 (for "xor")
-- ARGV[3..] members
-- Returns  the number of unexpired members left.
local set, kind, dead, now, clash = open_expiring()
if clash then return clash end
local listed = {}
for i = 3, #ARGV do listed[ARGV[i]] = true end
if ARGV[1] == 'and' then
  local gone = {}
  local members = redis.call('ZRANGE', set, 0, -1)
  for _, member in ipairs(members) do
    if not listed[member] then gone[#gone + 1] = member end
  end
  in_chunks('ZREM', set, gone)
else
  claim_kind(kind)
  local deadline = ms_text(now + tonumber(ARGV[2]))
  local gone, writes, seen = {}, {}, {}
  for i = 3, #ARGV do
    local member = ARGV[i]
    if not seen[member] then
      seen[member] = true
      if live_deadline(set, member, now) then
        gone[#gone + 1] = member
      else
        writes[#writes + 1] = deadline
        writes[#writes + 1] = member
      end
    end
  end
  in_chunks('ZREM', set, gone)
  in_chunks('ZADD', set, writes)
  -- Expired members go at the rate members arrive: as many more as were added
  -- beyond the PRUNE that open_expiring removed (the added are unexpired).
  remove_expired(set, now, #writes / 2 - PRUNE)
end
settle(set, kind, dead, now)
return redis.call('ZCOUNT', set, '(' .. ms_text(now), '+inf')
