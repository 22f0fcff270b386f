-- expiring_restore: put back a member pop took but could not decode, with its deadline.
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- ARGV[1]  the member's deadline, ms of server time
-- ARGV[2]  the member
-- Returns  1 if it was put back, 0 if its deadline has passed meanwhile (it expired) or
--          it is present again.
local set, kind, now, clash = open_expiring()
if clash then return clash end
local deadline = tonumber(ARGV[1])
if deadline <= now then return 0 end
claim_kind(kind)
local added = redis.call('ZADD', set, 'NX', ms_text(deadline), ARGV[2])
settle(set, kind)
return added
