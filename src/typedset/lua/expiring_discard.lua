-- expiring_discard: remove members (discard, remove, -=).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- ARGV[1..] members
-- Returns  how many of them were present and unexpired (an expired one is removed too).
local set, kind, dead, now, clash = open_expiring()
if clash then return clash end
local removed, gone = 0, {}
for i = 1, #ARGV do
  if live_deadline(set, ARGV[i], now) then removed = removed + 1 end
  gone[#gone + 1] = ARGV[i]
end
in_chunks('ZREM', set, gone)
settle(set, kind, dead, now)
return removed
