--[[
  Redis's clock and the identity of the server it is read on, in one step (serverClock).
  On Redis Cluster the key routes the call to the master holding the shard's records.

  Input:
    KEYS[1] any key of the shard (only routes the call; never read or written)

  Output:
    { seconds, microseconds, run_id, master_replid } (TIME, then INFO server replication)
]]
local _ = KEYS[1]

--- @include "serverClock"

return serverClock()
