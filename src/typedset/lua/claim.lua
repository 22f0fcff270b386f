-- claim: lease up to COUNT members from the head (claim, processing: at least once).
-- uses: leases, periodic
-- KEYS[1]  pending ZSET
-- KEYS[2]  leased ZSET
-- KEYS[3]  held HASH
-- KEYS[4]  deliveries HASH
-- KEYS[5]  dead-letter HASH
-- KEYS[6]  fence STRING
-- KEYS[7]  done ZSET (unique_for)
-- KEYS[8]  periodic HASH (ScheduledSet.add_periodic)
-- ARGV[1]  COUNT, >= 1
-- ARGV[2]  TTL in seconds, > 0
-- ARGV[3]  "1" to claim only members whose score <= server time (ScheduledSet), else "0"
-- ARGV[4]  max deliveries; "0" for no limit
-- Returns  {now, next, token, deadline, {member1, deliveries1, score1, ...}, buried}
--          score:  the member's score as it was claimed (its due time)
--          next:   as pop.lua's, when nothing was claimed
--          token:  the fence value of this claim ("" when nothing was claimed)
--          buried: how many members went to the dead-letter store for having
--                  been delivered max-deliveries times without an ack
-- A pending member that is also held (added again under lease) is skipped:
-- it waits until that lease ends. O((k + s) log N) for k claimed, s skipped.
-- A periodic member (ScheduledSet.add_periodic) that reschedules on claim is
-- put back due at its next run as it is claimed; one buried for its
-- deliveries gets its next run whatever its option (its schedule goes on).
local pending, leased, held, deliveries, dead, fence, now_text, now = open_set()
local count, ready_only, limit = tonumber(ARGV[1]), ARGV[3] == '1', tonumber(ARGV[4])
local upto = ready_only and now_text or '+inf'
local deadline = time_text(now + tonumber(ARGV[2]))
local claimed, scores, counts, dropped = {}, {}, {}, {}
local skipped, buried = 0, 0
while #claimed < count do
  local want = math.min(count - #claimed, CHUNK)
  local page = redis.call('ZRANGEBYSCORE', pending, '-inf', upto, 'WITHSCORES', 'LIMIT', skipped, want)
  if #page == 0 then break end
  local members = {}
  for i = 1, #page, 2 do members[#members + 1] = page[i] end
  local holding = redis.call('HMGET', held, unpack(members))
  local delivered = redis.call('HMGET', deliveries, unpack(members))
  local leaving = {}
  for j, member in ipairs(members) do
    if holding[j] then
      skipped = skipped + 1
    else
      leaving[#leaving + 1] = member
      local n = tonumber(delivered[j] or '0')
      if bury_if_overdelivered(dead, deliveries, member, page[2 * j], n, limit, now_text) then
        buried = buried + 1
        dropped[#dropped + 1] = {member, page[2 * j]}
      else
        claimed[#claimed + 1] = member
        scores[#scores + 1] = page[2 * j]
        counts[#counts + 1] = n + 1
      end
    end
  end
  in_chunks('ZREM', pending, leaving)
  if #members < want then break end
end
local periodic = KEYS[8]
if redis.call('EXISTS', periodic) == 1 then
  for i, member in ipairs(claimed) do schedule_next(pending, periodic, member, scores[i], now, 'claim') end
  for _, pair in ipairs(dropped) do schedule_next(pending, periodic, pair[1], pair[2], now) end
end
if #claimed == 0 then
  return {now_text, next_event(pending, leased, ready_only, now_text), '', deadline, {}, buried}
end
local token = tostring(redis.call('INCR', fence))
local by_deadline, by_token, by_count, out = {}, {}, {}, {}
for i, member in ipairs(claimed) do
  by_deadline[#by_deadline + 1] = deadline
  by_deadline[#by_deadline + 1] = member
  by_token[#by_token + 1] = member
  by_token[#by_token + 1] = token .. ' ' .. scores[i]
  by_count[#by_count + 1] = member
  by_count[#by_count + 1] = counts[i]
  out[#out + 1] = member
  out[#out + 1] = counts[i]
  out[#out + 1] = scores[i]
end
in_chunks('ZADD', leased, by_deadline)
in_chunks('HSET', held, by_token)
in_chunks('HSET', deliveries, by_count)
return {now_text, '', token, deadline, out, buried}
