-- expiring_lookup: the deadline of one member (expires_at, in, contains).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- ARGV[1]  member
-- Returns  its deadline in ms of server time if present and unexpired, else nil.
local set, _, now, clash = open_expiring()
if clash then return clash end
local deadline = live_deadline(set, ARGV[1], now)
if deadline then return ms_text(deadline) end
return false
