-- lib/chunks: commands over lists of any length.
-- Lua's unpack fails beyond a few thousand values, so no script unpacks a
-- list whose length a caller chooses; it calls in_chunks instead.

local CHUNK = 1000

-- Call COMMAND KEY [HEAD] with the values of LIST, CHUNK at a time (CHUNK
-- is even, so a flat list of pairs stays paired). HEAD (a flag such as
-- ZADD's "LT") is left out when nil or "". Returns the sum of the integer replies.
local function in_chunks(command, key, list, head)
  local total = 0
  for i = 1, #list, CHUNK do
    local last = math.min(i + CHUNK - 1, #list)
    local reply
    if head and head ~= '' then
      reply = redis.call(command, key, head, unpack(list, i, last))
    else
      reply = redis.call(command, key, unpack(list, i, last))
    end
    if type(reply) == 'number' then total = total + reply end
  end
  return total
end

-- Every CHUNK-th slice of LIST, as HMGET-style replies joined into one list.
local function fetch_in_chunks(command, key, list)
  local out = {}
  for i = 1, #list, CHUNK do
    local reply = redis.call(command, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
    for j = 1, #reply do out[#out + 1] = reply[j] end
  end
  return out
end
