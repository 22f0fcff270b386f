-- lib/expiring: what every ExpiringSet script shares (prepended by "-- uses: expiring").
-- Every ExpiringSet script takes the same two keys, in one cluster slot:
--   KEYS[1] the set: a ZSET at exactly the collection's name, member -> deadline in
--           whole milliseconds of server time; KEYS[2] the name's kind marker STRING.
-- A member whose deadline is <= now has expired: no script counts, returns or keeps
-- it. Expired members go lazily, PRUNE at most per call; the set and its marker carry
-- a key TTL (PEXPIREAT) of the latest deadline, so an abandoned set frees itself.
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

-- Delete the kind marker if it is ours (claim_name leaves one for a set never filled).
local function forget_kind(kind)
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
local function prune(set, kind, now)
  local last = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
  if #last == 0 then
    forget_kind(kind)
    return
  end
  if tonumber(last[2]) <= now then
    redis.call('UNLINK', set)
    forget_kind(kind)
    return
  end
  remove_expired(set, now, PRUNE)
end

-- The start of every ExpiringSet script: its keys and the time, after pruning; or,
-- when the name's marker says another kind of collection holds it (ours expired and
-- another took the name), a NAMECLASH error reply to return, with nothing changed.
-- local set, kind, now, clash = open_expiring(); if clash then return clash end
local function open_expiring()
  local found = redis.call('GET', KEYS[2])
  if found and found ~= expiring_kind() then
    return KEYS[1], KEYS[2], 0, redis.error_reply('NAMECLASH ' .. found)
  end
  local now = now_ms()
  prune(KEYS[1], KEYS[2], now)
  return KEYS[1], KEYS[2], now, nil
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

-- After a write: the set and its marker expire with the latest deadline, or go
-- when the set is empty. A marker lost while the set lives (evicted under a
-- volatile-* maxmemory policy) is put back, so no other kind can take the name.
local function settle(set, kind)
  local last = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
  if #last == 0 then
    forget_kind(kind)
    return
  end
  local at = ms_text(tonumber(last[2]))
  redis.call('PEXPIREAT', set, at)
  claim_kind(kind)
  redis.call('PEXPIREAT', kind, at)
end
