-- lib/expiring: what every ExpiringSet script shares (prepended by "-- uses: expiring").
-- Every ExpiringSet script takes the same three keys, in one cluster slot:
--   KEYS[1] the set: a ZSET at exactly the collection's name, member -> deadline in
--           whole milliseconds of server time; KEYS[2] the name's kind marker STRING;
--   KEYS[3] the dead letters: a HASH, member bytes -> JSON {reason, deadline, at}
--           (both in ms of server time) of members that could not be decoded.
-- A member whose deadline is <= now has expired: no script counts, returns or keeps
-- it. Expired members go lazily, PRUNE at most per call. Every key carries a key TTL
-- (PEXPIREAT), so an abandoned set frees itself: the set its latest deadline, the
-- dead letters the latest of that and their own deadlines, the marker the later of
-- the two (it protects the name while any key of the set exists).
-- uses: clock, chunks

-- Expired members one call removes at most (bounded work per call).
local PRUNE = 1000

-- What the kind marker of an expiring set says (_keys.EXPIRING_KIND).
local function expiring_kind()
  return 'expiring set'
end

-- Now, in whole milliseconds of the server's clock, as a number (exact: < 2^53).
local function now_ms()
  local text = server_time()
  local seconds, micros = string.match(text, '^(%d+)%.(%d+)$')
  return tonumber(seconds) * 1000 + math.floor(tonumber(micros) / 1000)
end

-- A millisecond time as the integer text ZADD and PEXPIREAT take.
local function ms_text(ms)
  return string.format('%.0f', ms)
end

-- Delete the kind marker if it is ours (claim_name leaves one for a set never filled),
-- unless dead letters remain: the marker outlives them, so that no other kind of
-- collection takes the name and shares the dead-letter key.
local function forget_kind(kind, dead)
  if redis.call('EXISTS', dead) == 1 then return end
  if redis.call('GET', kind) == expiring_kind() then redis.call('DEL', kind) end
end

-- Remove up to LIMIT expired members (they rank first: their deadlines are the
-- lowest). Never the latest deadline while a member is unexpired.
local function remove_expired(set, now, limit)
  local expired = redis.call('ZCOUNT', set, '-inf', ms_text(now))
  if expired > 0 and limit > 0 then
    redis.call('ZREMRANGEBYRANK', set, 0, math.min(expired, limit) - 1)
  end
end

-- Remove up to PRUNE expired members; the whole set (one UNLINK) when its latest
-- deadline has passed. Every script calls this first; it never changes the latest
-- deadline of what remains, so the key TTL stays right.
local function prune(set, kind, dead, now)
  local last = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
  if #last == 0 then
    forget_kind(kind, dead)
    return
  end
  if tonumber(last[2]) <= now then
    redis.call('UNLINK', set)
    forget_kind(kind, dead)
    return
  end
  remove_expired(set, now, PRUNE)
end

-- The NAMECLASH error reply when the name's marker says another kind of collection
-- holds it (ours expired and another took the name), else nil.
local function name_clash()
  local found = redis.call('GET', KEYS[2])
  if found and found ~= expiring_kind() then
    return redis.error_reply('NAMECLASH ' .. found)
  end
  return nil
end

-- The start of every ExpiringSet script: its keys and the time, after pruning; or,
-- on a name clash (see name_clash), the error reply to return, with nothing changed.
-- local set, kind, dead, now, clash = open_expiring(); if clash then return clash end
local function open_expiring()
  local clash = name_clash()
  if clash then return KEYS[1], KEYS[2], KEYS[3], 0, clash end
  local now = now_ms()
  prune(KEYS[1], KEYS[2], KEYS[3], now)
  return KEYS[1], KEYS[2], KEYS[3], now, nil
end

-- The deadline of MEMBER if it is present and unexpired, else nil.
local function live_deadline(set, member, now)
  local score = redis.call('ZSCORE', set, member)
  if score and tonumber(score) > now then return tonumber(score) end
  return nil
end

-- Before a write that may create the set: mark the name as an expiring set's (the
-- marker may have expired with an earlier set of the same name).
local function claim_kind(kind)
  if not redis.call('GET', kind) then redis.call('SET', kind, expiring_kind()) end
end

-- Record MEMBER (deadline DEADLINE, ms) as a dead letter; the dead-letter key lives
-- at least until that deadline. The caller settles afterwards.
local function bury(dead, member, deadline, reason, now)
  redis.call('HSET', dead, member,
    cjson.encode({reason = reason, deadline = ms_text(deadline), at = ms_text(now)}))
  local left = redis.call('PTTL', dead)
  if left < 0 or now + left < deadline then redis.call('PEXPIREAT', dead, ms_text(deadline)) end
end

-- After a write: the set expires with its latest deadline; the dead letters no
-- sooner; the marker with the later of the two; it goes when neither key exists.
-- A marker lost while the set lives (evicted under a volatile-* maxmemory policy)
-- is put back, so no other kind can take the name.
local function settle(set, kind, dead, now)
  local last = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
  local until_ms = nil
  if #last > 0 then
    until_ms = tonumber(last[2])
    redis.call('PEXPIREAT', set, ms_text(until_ms))
  end
  local left = redis.call('PTTL', dead)
  if left > 0 then
    if until_ms and now + left < until_ms then
      redis.call('PEXPIREAT', dead, ms_text(until_ms))
    else
      until_ms = now + left
    end
  end
  if not until_ms then
    forget_kind(kind, dead)
    return
  end
  claim_kind(kind)
  redis.call('PEXPIREAT', kind, ms_text(until_ms))
end
