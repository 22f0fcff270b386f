-- count_ready: how many members have a score <= server time (ScheduledSet.available).
-- KEYS[1]  the pending ZSET
-- Returns  the count.
local t = redis.call('TIME')
return redis.call('ZCOUNT', KEYS[1], '-inf', t[1] .. '.' .. string.format('%06d', tonumber(t[2])))
