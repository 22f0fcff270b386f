-- add_now: add members scored with the server's clock (TimeSortedSet, ScheduledSet).
-- KEYS[1]  the pending ZSET
-- ARGV[1]  ZADD flag for members already present: "" (replace), "NX", "LT" or "GT"
-- ARGV[2..] encoded members (all get the same timestamp)
-- Returns  the number of members that were new.
-- The time is formatted from TIME's integer parts: a Lua number would be
-- printed with 14 significant digits and lose the microseconds.
local t = redis.call('TIME')
local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
local args = {}
if ARGV[1] ~= '' then args[1] = ARGV[1] end
for i = 2, #ARGV do
  args[#args + 1] = now
  args[#args + 1] = ARGV[i]
end
return redis.call('ZADD', KEYS[1], unpack(args))
