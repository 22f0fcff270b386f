-- expiring_requeue_dead: put every dead letter back as a member, as add would (requeue_dead).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- KEYS[3]  the dead-letter HASH (see lib/expiring.lua)
-- ARGV[1]  ttl in milliseconds, >= 1: each gets the deadline now + ttl
-- ARGV[2]  "refresh" to give a present member the new deadline, "keep" to leave it
-- Returns  the number of dead letters put back (all of them; the store is emptied).
-- O(D log N) for D dead letters.
local set, kind, dead, now, clash = open_expiring()
if clash then return clash end
local entries = redis.call('HGETALL', dead)
if #entries == 0 then return 0 end
local members = {}
for i = 1, #entries, 2 do members[#members + 1] = entries[i] end
claim_kind(kind)
local deadline = ms_text(now + tonumber(ARGV[1]))
local refresh = ARGV[2] == 'refresh'
local writes = {}
for _, member in ipairs(members) do
  if refresh or not live_deadline(set, member, now) then
    writes[#writes + 1] = deadline
    writes[#writes + 1] = member
  end
end
in_chunks('ZADD', set, writes)
redis.call('DEL', dead)
settle(set, kind, dead, now)
return #members
