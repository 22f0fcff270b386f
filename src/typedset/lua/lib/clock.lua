-- lib/clock: the server's clock, the only time any script uses.

-- Now, as TIME's integer parts printed with all six decimals (a Lua number
-- prints 14 significant digits and would lose the microseconds), and as a number.
local function server_time()
  local t = redis.call('TIME')
  local text = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
  return text, tonumber(text)
end

-- A time as text Redis parses back to the same double.
local function time_text(seconds)
  return string.format('%.17g', seconds)
end
