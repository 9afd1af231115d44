--[[
  Redis's clock on the server that holds a key: on Redis Cluster a keyless TIME goes to
  whichever node the client picks, and leases must be compared on the clock of the server
  that holds the shard's records.

  Input:
    KEYS[1] any key of the shard (only routes the call; never read or written)

  Output:
    TIME's reply: { seconds, microseconds }
]]
local _ = KEYS[1]
return redis.call('TIME')
