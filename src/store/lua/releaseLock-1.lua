--[[
  Releases a lock only if the caller still holds it: a holder whose lock expired and was
  taken by another process must not delete the new holder's lock.

  Input:
    KEYS[1] lock key

    ARGV[1] owner token the lock was taken with

  Output:
    1 when released, 0 when the lock is held by someone else or by no one
]]
local lockKey = KEYS[1]
local owner = ARGV[1]

if redis.call('GET', lockKey) == owner then
  redis.call('DEL', lockKey)
  return 1
end
return 0
