-- expiring_size: how many members have not expired (len, size).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- Returns  the number of members whose deadline is after now.
local set, _, _, now, clash = open_expiring()
if clash then return clash end
return redis.call('ZCOUNT', set, '(' .. ms_text(now), '+inf')
