-- lib/cursor: where an iteration resumes in a ZSET (prepended by "-- uses: cursor").
-- Iteration walks by (score, member), not by rank, so a member present for the
-- whole iteration with an unchanged score is yielded exactly once even while
-- others are added or removed.

-- Bytewise comparison (Lua's < uses strcoll, which depends on the locale).
local function bytes_less(a, b)
  if a == b then return false end
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- The rank (in ZREVRANGE order when reverse) of the first member strictly
-- after the cursor (score as Redis printed it, member); 0 for no cursor.
local function start_after(key, score, member, reverse)
  if score == '' then return 0 end
  if redis.call('ZSCORE', key, member) == score then
    local rank = reverse and redis.call('ZREVRANK', key, member) or redis.call('ZRANK', key, member)
    return rank + 1
  end
  -- The cursor member is gone or moved: binary-search its place among the
  -- members that share its score.
  local lo, hi, range
  if reverse then
    lo = redis.call('ZCOUNT', key, '(' .. score, '+inf')
    hi = redis.call('ZCOUNT', key, score, '+inf')
    range = 'ZREVRANGE'
  else
    lo = redis.call('ZCOUNT', key, '-inf', '(' .. score)
    hi = redis.call('ZCOUNT', key, '-inf', score)
    range = 'ZRANGE'
  end
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local at = redis.call(range, key, mid, mid)[1]
    local after
    if reverse then after = bytes_less(at, member) else after = bytes_less(member, at) end
    if after then hi = mid else lo = mid + 1 end
  end
  return lo
end
