-- expiring_quarantine: move members that cannot be decoded to the dead letters.
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- ARGV     quads: member, reason, deadline (ms of server time; "" if unknown), mode:
--          "seen"   read by iteration: moved only while it is still a member, unexpired
--                   (its current deadline is recorded); one removed, popped or expired
--                   meanwhile is not recorded (a popper records its own)
--          "taken"  removed by pop: recorded with the given deadline, unless that has
--                   passed meanwhile (it expired, as it would have in the set)
-- Returns  the number of members recorded. A second run records nothing new.
local set, kind, dead, now, clash = open_expiring()
if clash then return clash end
local n = 0
for i = 1, #ARGV, 4 do
  local member, reason, given, mode = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local deadline
  if mode == 'seen' then
    deadline = live_deadline(set, member, now)
    if deadline then redis.call('ZREM', set, member) end
  else
    deadline = tonumber(given)
    if deadline and deadline <= now then deadline = nil end
  end
  if deadline then
    bury(dead, member, deadline, reason, now)
    n = n + 1
  end
end
settle(set, kind, dead, now)
return n
