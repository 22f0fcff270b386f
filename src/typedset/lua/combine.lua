-- combine: in-place set algebra (|=, &=, -=, ^=), atomic on the server.
-- uses: leases
-- KEYS[1]  the target pending ZSET
-- KEYS[2]  the target's held HASH
-- KEYS[3]  the target's deliveries HASH
-- KEYS[4]  the target's done ZSET (unique_for)
-- KEYS[5]  the target's periodic HASH (ScheduledSet.add_periodic)
-- KEYS[6]  (optional) a source ZSET in the same slot; when given, ARGV[4..] is ignored
-- ARGV[1]  "or", "and", "sub" or "xor"
-- ARGV[2]  ZADD flag used for members added to an existing one: "" (replace), "NX", "LT", "GT"
-- ARGV[3]  unique_for window in seconds ("0": none): a member held or done lately is not added
-- ARGV[4..] score, member pairs of the source; a score of "" means server time
-- Returns  the target's cardinality afterwards.
-- Removed members lose their delivery counts and their periodic schedules, as
-- discard's do (&= ends the schedule of every periodic member not kept, pending
-- or not). Leases are not touched.
-- O(N + M): this blocks the server for large sets, as SUNIONSTORE would.
local target, op, flag = KEYS[1], ARGV[1], ARGV[2]
local pairs_ = {}
local window = tonumber(ARGV[3])
if KEYS[6] then
  local found = redis.call('ZRANGE', KEYS[6], 0, -1, 'WITHSCORES')
  for i = 1, #found, 2 do pairs_[#pairs_ + 1] = {found[i + 1], found[i]} end
else
  local now
  for i = 4, #ARGV, 2 do
    local score = ARGV[i]
    if score == '' then
      now = now or server_time()
      score = now
    end
    pairs_[#pairs_ + 1] = {score, ARGV[i + 1]}
  end
end
local function zadd(list)
  local flat = {}
  local now
  for i = 1, #list do
    local member = list[i][2]
    local refused = false
    if window > 0 then
      -- unique_for: as add_unique.lua, a member pending, held or done lately is not added
      now = now or select(2, server_time())
      refused = redis.call('ZSCORE', target, member) or redis.call('HGET', KEYS[2], member)
        or done_lately(KEYS[4], member, now, window)
    end
    if not refused then
      flat[#flat + 1] = list[i][1]
      flat[#flat + 1] = member
    end
  end
  in_chunks('ZADD', target, flat, flag)
end
local function zrem(members)
  in_chunks('ZREM', target, members)
  forget_deliveries(KEYS[2], KEYS[3], members)
  if redis.call('EXISTS', KEYS[5]) == 1 then in_chunks('HDEL', KEYS[5], members) end
end
if op == 'or' then
  zadd(pairs_)
elseif op == 'sub' then
  local members = {}
  for i = 1, #pairs_ do members[i] = pairs_[i][2] end
  zrem(members)
elseif op == 'and' then
  local keep = {}
  for i = 1, #pairs_ do keep[pairs_[i][2]] = true end
  local drop = {}
  for _, member in ipairs(redis.call('ZRANGE', target, 0, -1)) do
    if not keep[member] then drop[#drop + 1] = member end
  end
  zrem(drop)
  -- A periodic member not kept ends its schedule even when nothing of it is
  -- pending (its run is under lease and reschedules on ack), as discard's does.
  if redis.call('EXISTS', KEYS[5]) == 1 then
    local ended = {}
    local schedules = redis.call('HGETALL', KEYS[5])  -- HGETALL: no extra command to grant
    for i = 1, #schedules, 2 do
      if not keep[schedules[i]] then ended[#ended + 1] = schedules[i] end
    end
    in_chunks('HDEL', KEYS[5], ended)
  end
elseif op == 'xor' then
  local add, drop = {}, {}
  for i = 1, #pairs_ do
    if redis.call('ZSCORE', target, pairs_[i][2]) then
      drop[#drop + 1] = pairs_[i][2]
    else
      add[#add + 1] = pairs_[i]
    end
  end
  zrem(drop)
  zadd(add)
else
  return redis.error_reply('typedset: unknown combine op ' .. tostring(op))
end
return redis.call('ZCARD', target)
