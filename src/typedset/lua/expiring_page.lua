-- expiring_page: the next unexpired members in deadline order after a cursor (iteration).
-- uses: expiring, cursor
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- ARGV[1]  page size, >= 1
-- ARGV[2]  cursor deadline as Redis printed it, or "" to start at the beginning
-- ARGV[3]  cursor member (the last one already yielded)
-- Returns  {member1, deadline1, ...}: unexpired members strictly after (cursor deadline,
--          cursor member) in ZSET order (deadline, then member bytes).
local set, _, _, now, clash = open_expiring()
if clash then return clash end
-- Expired members (those pruning left) all rank before the unexpired ones.
local expired = redis.call('ZCOUNT', set, '-inf', ms_text(now))
local start = math.max(start_after(set, ARGV[2], ARGV[3], false), expired)
return redis.call('ZRANGE', set, start, start + tonumber(ARGV[1]) - 1, 'WITHSCORES')
