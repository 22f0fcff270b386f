-- stream_cooling: the keys cooling down, with the end of each cool-down, soonest first.
-- uses: stream
-- KEYS[1]  priorities ZSET
-- KEYS[2]  values HASH
-- KEYS[3]  cool-downs ZSET
-- KEYS[4]  gated SET
-- Returns  {key1, deadline1, key2, deadline2, ...}: deadlines in server time (Unix
--          seconds, as Redis prints them), ties by key bytes; ended ones swept first.
local priorities, values, cooling = open_stream()
return redis.call('ZRANGE', cooling, 0, -1, 'WITHSCORES')
