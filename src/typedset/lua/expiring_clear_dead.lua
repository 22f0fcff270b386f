-- expiring_clear_dead: delete the dead letters (clear_dead_letters).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- Returns  1 if there were dead letters, else 0. The marker goes too if the set is
--          empty. A script, so that a stale handle gets NAMECLASH instead of deleting
--          another kind's dead letters (the sets and the stream use the same key).
local set, kind, dead, now, clash = open_expiring()
if clash then return clash end
local deleted = redis.call('DEL', dead)
settle(set, kind, dead, now)
return deleted
