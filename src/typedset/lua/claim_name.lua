-- claim_name: record which kind of collection a name belongs to, or say which it already is.
-- KEYS[1]  the kind marker STRING ("{name}:kind")
-- ARGV[1]  this collection's kind: "sorted set" or "priority stream"
-- Returns  the kind the name belongs to: ARGV[1] when it was free or is already ours.
-- One key, so that it works during a cluster slot migration like any single-key command.
local kind = redis.call('GET', KEYS[1])
if kind then return kind end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
