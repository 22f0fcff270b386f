-- pop_ready: remove and return up to COUNT members whose score is <= server time (ScheduledSet).
-- KEYS[1]  the pending ZSET
-- ARGV[1]  COUNT, >= 1
-- Returns  {now, head, {member1, score1, member2, score2, ...}}
--          now:  the server time used, as a decimal string
--          head: when nothing was ready, the score of the earliest member ("" if empty);
--                lets a blocking caller sleep until it is due
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
if #found == 0 then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {now, first[2] or '', {}}
end
local members = {}
for i = 1, #found, 2 do members[#members + 1] = found[i] end
redis.call('ZREM', KEYS[1], unpack(members))
return {now, '', found}
