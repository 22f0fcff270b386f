-- combine: in-place set algebra (|=, &=, -=, ^=), atomic on the server.
-- KEYS[1]  the target pending ZSET
-- KEYS[2]  (optional) a source ZSET in the same slot; when given, ARGV[3..] is ignored
-- ARGV[1]  "or", "and", "sub" or "xor"
-- ARGV[2]  ZADD flag used for members added to an existing one: "" (replace), "NX", "LT", "GT"
-- ARGV[3..] score, member pairs of the source; a score of "" means server time
-- Returns  the target's cardinality afterwards.
-- O(N + M): this blocks the server for large sets, as SUNIONSTORE would.
local target, op, flag = KEYS[1], ARGV[1], ARGV[2]
local pairs_ = {}
if KEYS[2] then
  local found = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  for i = 1, #found, 2 do pairs_[#pairs_ + 1] = {found[i + 1], found[i]} end
else
  local now
  for i = 3, #ARGV, 2 do
    local score = ARGV[i]
    if score == '' then
      if not now then
        local t = redis.call('TIME')
        now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
      end
      score = now
    end
    pairs_[#pairs_ + 1] = {score, ARGV[i + 1]}
  end
end
local function zadd(list)
  for i = 1, #list, 500 do
    local args = {}
    if flag ~= '' then args[1] = flag end
    for j = i, math.min(i + 499, #list) do
      args[#args + 1] = list[j][1]
      args[#args + 1] = list[j][2]
    end
    redis.call('ZADD', target, unpack(args))
  end
end
local function zrem(members)
  for i = 1, #members, 1000 do
    redis.call('ZREM', target, unpack(members, i, math.min(i + 999, #members)))
  end
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
