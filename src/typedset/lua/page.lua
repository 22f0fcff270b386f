-- page: the next members in score order after a cursor, for iteration.
-- uses: cursor
-- KEYS[1]  the pending ZSET
-- ARGV[1]  page size, >= 1
-- ARGV[2]  cursor score as Redis printed it, or "" to start at the beginning
-- ARGV[3]  cursor member (the last one already yielded)
-- Returns  {member1, score1, ...}: members strictly after (cursor score, cursor member)
--          in ZSET order (score, then member bytes).
local start = start_after(KEYS[1], ARGV[2], ARGV[3], false)
return redis.call('ZRANGE', KEYS[1], start, start + tonumber(ARGV[1]) - 1, 'WITHSCORES')
