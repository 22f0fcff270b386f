-- expiring_stats: the counts and deadlines of ExpiringSet.stats(), read at one instant.
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- Returns  {live members, expired members still stored, dead letters, soonest live
--          deadline or "", latest live deadline or "", now}, times in ms of server
--          time; or the NAMECLASH error when another kind holds the name. Writes
--          nothing: it does not prune, so that the expired count means something.
local clash = name_clash()
if clash then return clash end
local set, dead = KEYS[1], KEYS[3]
local now = ms_text(now_ms())
local expired = redis.call('ZCOUNT', set, '-inf', now)
local live = redis.call('ZCARD', set) - expired
local soonest = redis.call('ZRANGEBYSCORE', set, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local latest = ''
if live > 0 then latest = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')[2] end
return {live, expired, redis.call('HLEN', dead), soonest[2] or '', latest, now}
