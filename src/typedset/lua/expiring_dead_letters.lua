-- expiring_dead_letters: every dead letter (dead_letters).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- Returns  {member1, record1, ...}: HGETALL of the dead letters. A script, not a bare
--          HGETALL, so that a stale handle gets NAMECLASH, not another kind's letters.
local _, _, dead, _, clash = open_expiring()
if clash then return clash end
return redis.call('HGETALL', dead)
