-- page: the next members in score order after a cursor, for iteration.
-- KEYS[1]  the pending ZSET
-- ARGV[1]  page size, >= 1
-- ARGV[2]  cursor score as Redis printed it, or "" to start at the beginning
-- ARGV[3]  cursor member (the last one already yielded)
-- Returns  {member1, score1, ...}: members strictly after (cursor score, cursor member)
--          in ZSET order (score, then member bytes).
-- Walking by (score, member) rather than by rank means a member present for
-- the whole iteration, with an unchanged score, is yielded exactly once even
-- while others are added or popped.
local key, size = KEYS[1], tonumber(ARGV[1])
local start = 0
if ARGV[2] ~= '' then
  local score, member = ARGV[2], ARGV[3]
  if redis.call('ZSCORE', key, member) == score then
    start = redis.call('ZRANK', key, member) + 1
  else
    -- The cursor member is gone (or moved): binary-search its place among the
    -- members sharing its score. Compare bytes, not strcoll (locale).
    local function less(a, b)
      if a == b then return false end
      local n = math.min(#a, #b)
      for i = 1, n do
        local x, y = string.byte(a, i), string.byte(b, i)
        if x ~= y then return x < y end
      end
      return #a < #b
    end
    local lo = redis.call('ZCOUNT', key, '-inf', '(' .. score)
    local hi = redis.call('ZCOUNT', key, '-inf', score)
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      local at = redis.call('ZRANGE', key, mid, mid)[1]
      if less(member, at) then hi = mid else lo = mid + 1 end
    end
    start = lo
  end
end
return redis.call('ZRANGE', key, start, start + size - 1, 'WITHSCORES')
