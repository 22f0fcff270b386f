-- good_redis_migrate: move some keys of a good-redis prioritized stream into a PriorityStream.
-- Each key named moves whole: its value, priority, gate and cool-down leave good-redis's
-- keys and arrive in typedset's in this one script, so a crash between two calls leaves
-- every key in exactly one of the two layouts, and a key already moved is left alone.
-- KEYS[1]  good-redis's priorities ZSET ("<name>:s")
-- KEYS[2]  good-redis's values HASH ("<name>:t")
-- KEYS[3]  good-redis's gated SET ("<name>:exc")
-- KEYS[4]  good-redis's cool-downs ZSET ("<name>:exp": key -> Unix time, seconds)
-- KEYS[5]  the PriorityStream's priorities ZSET
-- KEYS[6]  the PriorityStream's values HASH
-- KEYS[7]  the PriorityStream's cool-downs ZSET (key -> Unix time, seconds)
-- KEYS[8]  the PriorityStream's gated SET
-- KEYS[9]  the PriorityStream's kind marker STRING
-- ARGV[1]  the stream kind ("priority stream"), set on the marker if it has none
-- ARGV[2..] the keys to move
-- Returns  {items moved, of which without a priority (given 0), of which merged into an item
--           the stream already had, priorities without a value (dropped), gates, cool-downs,
--           cool-downs lifted}, or an error reply when the marker names another kind (nothing
--          moved).
-- A key cools down after the move only if neither side holds a waiting item under it (an item
-- with no cool-down of its own): the stream removes a cooling key's item when the cool-down
-- ends, so a cool-down of one side put on the other side's waiting item would lose that item.
-- Such a cool-down is lifted (counted) instead; it only arises when merging into a stream in use.
local kind = redis.call('GET', KEYS[9])
if kind and kind ~= ARGV[1] then
  return redis.error_reply('WRONGKIND the name is a ' .. kind)
end
if not kind then redis.call('SET', KEYS[9], ARGV[1]) end
local items, unprioritised, merged, phantoms, gates, cool_downs, lifted = 0, 0, 0, 0, 0, 0, 0
for i = 2, #ARGV do
  local key = ARGV[i]
  local value = redis.call('HGET', KEYS[2], key)
  local priority = redis.call('ZSCORE', KEYS[1], key)
  local deadline = redis.call('ZSCORE', KEYS[4], key)
  local target_deadline = redis.call('ZSCORE', KEYS[7], key)
  local waiting = (value and not deadline)
    or (redis.call('ZSCORE', KEYS[5], key) and not target_deadline)
  if value then
    items = items + 1
    if not priority then
      unprioritised = unprioritised + 1
      priority = '0'
    end
    if redis.call('ZSCORE', KEYS[5], key) then merged = merged + 1 end
    redis.call('HSET', KEYS[6], key, value)
    redis.call('ZINCRBY', KEYS[5], priority, key)
  elseif priority then
    phantoms = phantoms + 1
  end
  if redis.call('SISMEMBER', KEYS[3], key) == 1 then
    gates = gates + 1
    redis.call('SADD', KEYS[8], key)
  end
  if waiting then
    if deadline then lifted = lifted + 1 end
    if target_deadline then
      lifted = lifted + 1
      redis.call('ZREM', KEYS[7], key)
    end
  elseif deadline then
    cool_downs = cool_downs + 1
    redis.call('ZADD', KEYS[7], 'GT', deadline, key)
  end
  redis.call('HDEL', KEYS[2], key)
  redis.call('ZREM', KEYS[1], key)
  redis.call('SREM', KEYS[3], key)
  redis.call('ZREM', KEYS[4], key)
end
return {items, unprioritised, merged, phantoms, gates, cool_downs, lifted}
