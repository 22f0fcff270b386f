-- peek: the member at POSITION in score order, without removing it.
-- KEYS[1]  the pending ZSET
-- ARGV[1]  POSITION (0 is the next to pop; negative counts from the end)
-- ARGV[2]  "1" to see only members whose score is <= server time (ScheduledSet), else "0"
-- Returns  {member, score}, or {} when there is no member at that position.
-- Ready members are the lowest-scored, so their positions among the ready
-- ones equal their ranks in the whole set.
local position = tonumber(ARGV[1])
local count
if ARGV[2] == '1' then
  local t = redis.call('TIME')
  count = redis.call('ZCOUNT', KEYS[1], '-inf', t[1] .. '.' .. string.format('%06d', tonumber(t[2])))
else
  count = redis.call('ZCARD', KEYS[1])
end
if position < 0 then position = count + position end
if position < 0 or position >= count then return {} end
return redis.call('ZRANGE', KEYS[1], position, position, 'WITHSCORES')
