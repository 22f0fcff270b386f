-- expiring_pop: remove and return the unexpired member with the soonest deadline (pop).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- Returns  {member, deadline} of the member removed, or {} when no member is unexpired.
local set, kind, dead, now, clash = open_expiring()
if clash then return clash end
local head = redis.call('ZRANGEBYSCORE', set, '(' .. ms_text(now), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if #head == 0 then return {} end
redis.call('ZREM', set, head[1])
settle(set, kind, dead, now)
return head
