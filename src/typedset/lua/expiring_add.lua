-- expiring_add: add members with a deadline of now + ttl (ExpiringSet add, update, |=).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- ARGV[1]  ttl in milliseconds, >= 1
-- ARGV[2]  "refresh" to give present members the new deadline, "keep" to leave them
-- ARGV[3..] members
-- Returns  how many members were absent or expired (now added).
local set, kind, dead, now, clash = open_expiring()
if clash then return clash end
claim_kind(kind)
local deadline = ms_text(now + tonumber(ARGV[1]))
local refresh = ARGV[2] == 'refresh'
local added, writes, seen = 0, {}, {}
for i = 3, #ARGV do
  local member = ARGV[i]
  if not seen[member] then
    seen[member] = true
    local live = live_deadline(set, member, now)
    if not live then added = added + 1 end
    if refresh or not live then
      writes[#writes + 1] = deadline
      writes[#writes + 1] = member
    end
  end
end
in_chunks('ZADD', set, writes)
settle(set, kind, dead, now)
return added
