-- add_now: add members scored with the server's clock (TimeSortedSet, ScheduledSet).
-- uses: clock, chunks
-- KEYS[1]  the pending ZSET
-- ARGV[1]  ZADD flag for members already present: "" (replace), "NX", "LT" or "GT"
-- ARGV[2..] encoded members (all get the same timestamp)
-- Returns  the number of members that were new.
local now = server_time()
local args = {}
for i = 2, #ARGV do
  args[#args + 1] = now
  args[#args + 1] = ARGV[i]
end
return in_chunks('ZADD', KEYS[1], args, ARGV[1])
