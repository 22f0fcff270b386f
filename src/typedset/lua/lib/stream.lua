-- lib/stream: the start of every PriorityStream script (prepended by "-- uses: stream").
-- Every stream script takes the same four keys, all in one cluster slot:
--   KEYS[1] priorities ZSET (at exactly the stream's name), KEYS[2] values HASH,
--   KEYS[3] cool-downs ZSET (key -> deadline in server time), KEYS[4] gated SET.
-- An item is a member of the priorities ZSET together with its field in the
-- values HASH; every script keeps the two in step.
local priorities, values, cooling, gated = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local clock = redis.call('TIME')
local now_text = clock[1] .. '.' .. string.format('%06d', tonumber(clock[2]))
local now = tonumber(now_text)

-- Run COMMAND on KEY with the members of LIST, 1000 at a time (unpack has a limit).
local function in_chunks(command, key, list)
  for i = 1, #list, 1000 do
    redis.call(command, key, unpack(list, i, math.min(i + 999, #list)))
  end
end

local function remove_items(keys)
  in_chunks('ZREM', priorities, keys)
  in_chunks('HDEL', values, keys)
end

-- Cool-downs that have ended (deadline <= now) go, and with them the items
-- that pull(purge=False) kept until then. Each script sweeps before it does
-- anything else, so what it sees is current and no sweeper process is needed.
local ended = redis.call('ZRANGEBYSCORE', cooling, '-inf', now_text)
in_chunks('ZREM', cooling, ended)
remove_items(ended)
