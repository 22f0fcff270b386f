-- expiring_touch: give a present, unexpired member the deadline now + ttl (touch).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- ARGV[1]  ttl in milliseconds, >= 1
-- ARGV[2]  member
-- Returns  1 if the member was present and unexpired (its deadline moved), else 0.
local set, kind, dead, now, clash = open_expiring()
if clash then return clash end
if not live_deadline(set, ARGV[2], now) then return 0 end
redis.call('ZADD', set, 'XX', ms_text(now + tonumber(ARGV[1])), ARGV[2])
settle(set, kind, dead, now)
return 1
