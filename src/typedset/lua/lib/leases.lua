-- lib/leases: what the sorted-set scripts that read the head or touch leases share.
-- Each such script takes the same eight keys, all in one cluster slot:
--   KEYS[1] pending ZSET (at exactly the set's name)
--   KEYS[2] leased ZSET: member -> deadline (server time)
--   KEYS[3] held HASH: member -> "<token> <original score>" of its lease
--   KEYS[4] deliveries HASH: member -> how many times it was claimed without an ack
--   KEYS[5] dead-letter HASH: member -> JSON {"reason", "score", "at"}
--   KEYS[6] fence STRING: the last lease token handed out (INCR)
--   KEYS[7] done ZSET: member -> server time it was last popped, taken or
--           acked; kept only by a set with unique_for (WINDOW > 0 below)
--   KEYS[8] periodic HASH: member -> its schedule (lib/periodic.lua)
-- A member is held while it is in both "leased" and "held"; every script
-- keeps the two in step. A member can be pending and held at once (it was
-- added again while under lease): claim skips such a pending copy.
-- uses: clock, chunks

-- The token of a "held" value.
local function held_token(value)
  return string.sub(value, 1, string.find(value, ' ', 1, true) - 1)
end

-- The original score of a "held" value.
local function held_score(value)
  return string.sub(value, string.find(value, ' ', 1, true) + 1)
end

-- The "held" value of MEMBER when it is held under TOKEN, else false: the
-- check that makes a stale lease change nothing.
local function held_under(held, member, token)
  local value = redis.call('HGET', held, member)
  if value and held_token(value) == token then return value end
  return false
end

-- Put MEMBER back in pending at SCORE. A copy already pending (added again
-- while under lease) keeps the lower of the two scores: merging never
-- delays work that was due.
local function put_back(pending, member, score)
  redis.call('ZADD', pending, 'LT', score, member)
end

-- Record MEMBER in the dead-letter store with REASON and SCORE.
local function bury(dead, member, score, reason, now_text)
  redis.call('HSET', dead, member, cjson.encode({reason = reason, score = score, at = now_text}))
end

-- When N deliveries without an ack reached LIMIT (0: no limit), move MEMBER
-- to the dead-letter store at SCORE, forget its count, and return true.
local function bury_if_overdelivered(dead, deliveries, member, score, n, limit, now_text)
  if limit <= 0 or n < limit then return false end
  local reason = 'delivered ' .. n .. ' times without an ack (max_deliveries=' .. limit .. ')'
  bury(dead, member, score, reason, now_text)
  redis.call('HDEL', deliveries, member)
  return true
end

-- Return the leases that ended (deadline <= now) to pending with their
-- original scores; their delivery counts stay. Every script that reads the
-- head or acts on a lease calls this first: no sweeper process is needed.
local function return_expired(pending, leased, held, now_text)
  local expired = redis.call('ZRANGEBYSCORE', leased, '-inf', now_text)
  if #expired == 0 then return end
  local values = fetch_in_chunks('HMGET', held, expired)
  for i, member in ipairs(expired) do
    put_back(pending, member, values[i] and held_score(values[i]) or '0')
  end
  in_chunks('ZREM', leased, expired)
  in_chunks('HDEL', held, expired)
end

-- The earliest lease deadline as text, or "" when nothing is leased.
local function next_expiry(leased)
  local first = redis.call('ZRANGE', leased, 0, 0, 'WITHSCORES')
  return first[2] or ''
end

-- Forget the delivery counts of MEMBERS that left pending for good (popped,
-- removed), unless the member is also held: that count is its lease's.
local function forget_deliveries(held, deliveries, members)
  if #members == 0 or redis.call('EXISTS', deliveries) == 0 then return end
  local holding = fetch_in_chunks('HMGET', held, members)
  local gone = {}
  for i, member in ipairs(members) do
    if not holding[i] then gone[#gone + 1] = member end
  end
  in_chunks('HDEL', deliveries, gone)
end

-- The start of every lease-aware script: its keys and the time, after
-- expired leases went back to pending.
-- local pending, leased, held, deliveries, dead, fence, now_text, now = open_set()
local function open_set()
  local now_text, now = server_time()
  return_expired(KEYS[1], KEYS[2], KEYS[3], now_text)
  return KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], now_text, now
end

-- When nothing could be taken: the earliest time something may become
-- takeable, as text ("" if nothing will): the next lease deadline, or for
-- READY_ONLY the earliest score after NOW_TEXT too (work that falls due).
-- A due member that could not be taken is a copy of a held member: it
-- becomes takeable when that lease ends.
local function next_event(pending, leased, ready_only, now_text)
  local best = next_expiry(leased)
  if ready_only then
    local first = redis.call('ZRANGEBYSCORE', pending, '(' .. now_text, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if first[2] and (best == '' or tonumber(first[2]) < tonumber(best)) then best = first[2] end
  end
  return best
end

-- Unique until done (a set with unique_for = WINDOW seconds, > 0): the done
-- ZSET records when each member was handed out for good (popped, taken) or
-- acked, and add refuses a member done less than WINDOW ago.

-- Forget at most LIMIT records older than WINDOW: bounded work per call; each
-- call that records K members forgets up to K + 100 old ones, so the ZSET
-- holds little more than the members done within the window.
local function trim_done(done, now, window, limit)
  local old = redis.call('ZRANGEBYSCORE', done, '-inf', time_text(now - window), 'LIMIT', 0, limit)
  in_chunks('ZREM', done, old)
end

-- Record MEMBERS as done at NOW_TEXT, when WINDOW > 0.
local function mark_done(done, members, now_text, now, window)
  if window <= 0 or #members == 0 then return end
  local flat = {}
  for _, member in ipairs(members) do
    flat[#flat + 1] = now_text
    flat[#flat + 1] = member
  end
  in_chunks('ZADD', done, flat)
  trim_done(done, now, window, #members + 100)
end

-- Whether MEMBER was done less than WINDOW seconds before NOW.
local function done_lately(done, member, now, window)
  local at = redis.call('ZSCORE', done, member)
  return at ~= false and tonumber(at) > now - window
end
