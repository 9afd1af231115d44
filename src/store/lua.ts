/**
 * Lua scripts of the refund store. Each runs atomically in Redis, so a record, its
 * over-refund reservation, its batch counters, the in-flight index and the event stream
 * never disagree, whatever process dies when. Every key a script touches carries the
 * deployment's hash tag (keys.ts), so they run on Redis Cluster too.
 *
 * Amount arithmetic here is on integer micro-units (6 decimals, GatePay's request
 * precision, gatepay-api.md §4.1) that stay far below 2^53, so Lua's doubles are exact;
 * the stored counters use HINCRBY (64-bit integers).
 */

/** Emits one stream entry describing a transition. */
const XADD_EVENT = `
local function emit(stream, maxlen, id, state, from, event, at, batchId, version, note)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*',
    'refundRequestId', id, 'state', state, 'from', from, 'event', event,
    'at', at, 'batchId', batchId, 'version', version, 'note', note)
end
`;

/**
 * Create a refund record with its reservation, unless one exists.
 * KEYS: record, order, events, inflight, batch
 * ARGV: id, recordJson, fingerprint, units, orderAmountUnits|'' , inflightScore, hasBatch,
 *       maxlen, at, batchId, state
 * Returns {'created'} | {'existing', json} | {'conflict', json} | {'over', reserved, cap}
 */
export const CREATE_RESERVED = `${XADD_EVENT}
local found = redis.call('HMGET', KEYS[1], 'fp', 'rec')
if found[1] then
  if found[1] == ARGV[3] then return {'existing', found[2]} end
  return {'conflict', found[2]}
end
if ARGV[5] ~= '' then redis.call('HSETNX', KEYS[2], 'amount', ARGV[5]) end
local cap = redis.call('HGET', KEYS[2], 'amount')
local reserved = redis.call('HGET', KEYS[2], 'reserved') or '0'
if cap and tonumber(reserved) + tonumber(ARGV[4]) > tonumber(cap) then
  return {'over', reserved, cap}
end
redis.call('HINCRBY', KEYS[2], 'reserved', ARGV[4])
redis.call('HSET', KEYS[2], 'r:' .. ARGV[1], ARGV[4])
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'v', '1', 'st', ARGV[11], 'fp', ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
if ARGV[7] == '1' then
  redis.call('HINCRBY', KEYS[5], ARGV[11], 1)
  redis.call('HINCRBY', KEYS[5], 'total', 1)
end
emit(KEYS[3], ARGV[8], ARGV[1], ARGV[11], '', 'created', ARGV[9], ARGV[10], '1', '')
return {'created'}
`;

/**
 * Create a record that is already final (an over-refund refused before sending): no
 * reservation, not in flight.
 * KEYS: record, events, batch
 * ARGV: id, recordJson, fingerprint, hasBatch, maxlen, at, batchId, state, note
 */
export const CREATE_FINAL = `${XADD_EVENT}
local found = redis.call('HMGET', KEYS[1], 'fp', 'rec')
if found[1] then
  if found[1] == ARGV[3] then return {'existing', found[2]} end
  return {'conflict', found[2]}
end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'v', '1', 'st', ARGV[8], 'fp', ARGV[3])
if ARGV[4] == '1' then
  redis.call('HINCRBY', KEYS[3], ARGV[8], 1)
  redis.call('HINCRBY', KEYS[3], 'total', 1)
end
emit(KEYS[2], ARGV[5], ARGV[1], ARGV[8], '', 'created', ARGV[6], ARGV[7], '1', ARGV[9])
return {'created'}
`;

/**
 * Compare-and-set one transition.
 * KEYS: record, events, inflight, order, batch
 * ARGV: expectedVersion, json, newState, oldState, id, release, inflightScore|'' (remove),
 *       hasBatch, maxlen, eventType, at, batchId, note, newVersion
 * Returns 1 when written, 0 when the version moved (caller re-reads and retries).
 */
export const TRANSITION = `${XADD_EVENT}
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'v', ARGV[14], 'st', ARGV[3])
if ARGV[7] == '' then
  redis.call('ZREM', KEYS[3], ARGV[5])
else
  redis.call('ZADD', KEYS[3], ARGV[7], ARGV[5])
end
if ARGV[6] == '1' then
  local units = redis.call('HGET', KEYS[4], 'r:' .. ARGV[5])
  if units then
    redis.call('HINCRBY', KEYS[4], 'reserved', '-' .. units)
    redis.call('HDEL', KEYS[4], 'r:' .. ARGV[5])
  end
end
if ARGV[8] == '1' and ARGV[3] ~= ARGV[4] then
  redis.call('HINCRBY', KEYS[5], ARGV[4], -1)
  redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
end
emit(KEYS[2], ARGV[9], ARGV[5], ARGV[3], ARGV[4], ARGV[10], ARGV[11], ARGV[12], ARGV[14], ARGV[13])
return 1
`;

/**
 * GCRA rate limiter shared by every process (GATEPAY_MAX_RPS).
 * KEYS: limiter; ARGV: intervalMs (1000/rps), burst (tokens)
 * Returns 0 when the call may go now, else the ms to wait before asking again. The clock
 * is Redis's own (TIME), so processes on machines with skewed clocks share one budget.
 */
export const RATE_LIMIT = `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowAt = tat - interval * (burst - 1)
if now < allowAt then return math.ceil(allowAt - now) end
local newTat = tat + interval
redis.call('SET', KEYS[1], tostring(newTat), 'PX', math.ceil(newTat - now + 1000))
return 0
`;

/**
 * Drops a refund from the in-flight index only if its record is gone or final, checked
 * atomically (a replay landing meanwhile puts it back in flight and must stay indexed).
 * KEYS: record, inflight; ARGV: id, final states...
 * Returns 1 when dropped.
 */
export const DROP_IF_SETTLED = `
local st = redis.call('HGET', KEYS[1], 'st')
if st then
  local final = false
  for i = 2, #ARGV do if ARGV[i] == st then final = true end end
  if not final then return 0 end
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;
