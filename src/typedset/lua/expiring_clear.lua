-- expiring_clear: remove every member (clear); the dead letters stay.
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- Returns  1 if the set existed, else 0. The marker goes too, unless dead letters
--          remain (it keeps its TTL, no sooner than theirs). A script, not a bare
--          DEL, so that a handle whose set expired and whose name another kind then
--          took gets NAMECLASH instead of deleting that collection's keys.
local clash = name_clash()
if clash then return clash end
local deleted = redis.call('DEL', KEYS[1])
forget_kind(KEYS[2], KEYS[3])
return deleted
