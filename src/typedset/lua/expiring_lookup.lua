-- expiring_lookup: the deadlines of members (expires_at, in, contains, isdisjoint).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- ARGV[1..] members
-- Returns  for each member, its deadline in ms of server time if present and unexpired,
--          else nil.
local set, _, _, now, clash = open_expiring()
if clash then return clash end
local found = {}
for i = 1, #ARGV do
  local deadline = live_deadline(set, ARGV[i], now)
  if deadline then found[i] = ms_text(deadline) else found[i] = false end
end
return found
