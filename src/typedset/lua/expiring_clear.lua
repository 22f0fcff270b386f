-- expiring_clear: remove every member and the kind marker (clear).
-- uses: expiring
-- KEYS[1]  the set ZSET (member -> deadline, ms of server time)
-- KEYS[2]  the kind marker STRING
-- Returns  the number of keys deleted. A script, not a bare DEL, so that a handle
--          whose set expired and whose name another kind then took gets NAMECLASH
--          instead of deleting that collection's keys.
local found = redis.call('GET', KEYS[2])
if found and found ~= expiring_kind() then
  return redis.error_reply('NAMECLASH ' .. found)
end
return redis.call('DEL', KEYS[1], KEYS[2])
