-- lib/periodic: the schedules of ScheduledSet.add_periodic items (prepended by "-- uses: periodic").
-- KEYS[8] of a lease-aware script is the periodic HASH:
--   member -> "<every> <anchor> <reschedule>": every in seconds; anchor "due"
--   (the next run is the previous due time plus a whole number of intervals,
--   the first one after now: missed runs are skipped) or "now" (server time
--   plus the interval); reschedule "claim" (the next run is put in pending
--   when a run is claimed) or "ack" (when its lease is acked). pop and take
--   always put the next run in pending as they hand one out.
-- uses: clock

-- every, anchor, reschedule of MEMBER's schedule, or nil when it has none.
local function schedule_of(periodic, member)
  local value = redis.call('HGET', periodic, member)
  if not value then return nil end
  local every, anchor, reschedule = string.match(value, '^(%S+) (%S+) (%S+)$')
  return tonumber(every), anchor, reschedule
end

-- The next due time after a run due at DUE, handed out (or acked) at NOW.
-- Constant work whatever the gap: a due time so far from now that the grid
-- due + k * every cannot be computed exactly (a score of -1e30, say) gives
-- now + every, never a loop over the missed runs (it would hold the server
-- for hours) nor a time many intervals late.
local function next_due(due, every, anchor, now)
  if anchor == 'now' then return now + every end
  local k = math.max(1, math.floor((now - due) / every) + 1)
  local next = due + k * every
  if next <= now then next = next + every end -- float rounding of k
  if next <= now or (due <= now and next > now + every) then next = now + every end
  return next
end

-- Put the next run of MEMBER (whose run due at DUE was just handed out or
-- acked) in pending, when MEMBER is periodic and reschedules AT ("claim" or
-- "ack"; nil: whatever its option). A copy already pending keeps the lower
-- score. Returns true when a run was scheduled.
local function schedule_next(pending, periodic, member, due, now, at)
  local every, anchor, reschedule = schedule_of(periodic, member)
  if not every or (at and reschedule ~= at) then return false end
  local when = next_due(tonumber(due), every, anchor, now)
  redis.call('ZADD', pending, 'LT', time_text(when), member)
  return true
end
