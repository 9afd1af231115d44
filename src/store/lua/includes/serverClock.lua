--[[
  Redis's clock and the identity of the server it is read on, in one step: a failover
  between reading the time and reading the server's epoch would pair one host's clock
  with another host's identity (src/domain/grace-clock.ts).

  Returns { seconds, microseconds, run_id, master_replid } (TIME, then INFO server
  replication).
]]
local function serverClock()
  local time = redis.call('TIME')
  local info = redis.call('INFO', 'server', 'replication')
  -- A plain find, then an anchored match: a pattern scan of the whole text costs more.
  local function field(name)
    local at = string.find(info, name .. ':', 1, true)
    return at and string.match(info, '^(%w+)', at + #name + 1) or ''
  end
  return { time[1], time[2], field('run_id'), field('master_replid') }
end
