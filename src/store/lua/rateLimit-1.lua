--[[
  GCRA rate limiter shared by every process (GATEPAY_MAX_RPS). The clock is Redis's own
  (TIME), so processes on machines with skewed clocks share one budget.

  Input:
    KEYS[1] limiter state (theoretical arrival time, epoch ms)

    ARGV[1] interval between requests, ms (1000 / rps; may be fractional)
    ARGV[2] burst, in requests

  Output:
    0 when the request may go now, else the ms to wait before asking again
]]
local limiterKey = KEYS[1]
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', limiterKey) or '0')
if tat < now then tat = now end
local allowAt = tat - interval * (burst - 1)
if now < allowAt then return math.ceil(allowAt - now) end
local newTat = tat + interval
redis.call('SET', limiterKey, tostring(newTat), 'PX', math.ceil(newTat - now + 1000))
return 0
