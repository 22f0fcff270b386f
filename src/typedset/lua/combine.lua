-- combine: in-place set algebra (|=, &=, -=, ^=), atomic on the server.
-- uses: leases
-- KEYS[1]  the target pending ZSET
-- KEYS[2]  the target's held HASH
-- KEYS[3]  the target's deliveries HASH
-- KEYS[4]  (optional) a source ZSET in the same slot; when given, ARGV[3..] is ignored
-- ARGV[1]  "or", "and", "sub" or "xor"
-- ARGV[2]  ZADD flag used for members added to an existing one: "" (replace), "NX", "LT", "GT"
-- ARGV[3..] score, member pairs of the source; a score of "" means server time
-- Returns  the target's cardinality afterwards.
-- Removed members lose their delivery counts, as discard's do. Leases are not touched.
-- O(N + M): this blocks the server for large sets, as SUNIONSTORE would.
local target, op, flag = KEYS[1], ARGV[1], ARGV[2]
local pairs_ = {}
if KEYS[4] then
  local found = redis.call('ZRANGE', KEYS[4], 0, -1, 'WITHSCORES')
  for i = 1, #found, 2 do pairs_[#pairs_ + 1] = {found[i + 1], found[i]} end
else
  local now
  for i = 3, #ARGV, 2 do
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
  for i = 1, #list do
    flat[#flat + 1] = list[i][1]
    flat[#flat + 1] = list[i][2]
  end
  in_chunks('ZADD', target, flat, flag)
end
local function zrem(members)
  in_chunks('ZREM', target, members)
  forget_deliveries(KEYS[2], KEYS[3], members)
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
