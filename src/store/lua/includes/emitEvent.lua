--[[
  Appends one entry describing a transition to the capped events stream.
]]
local function emitEvent(stream, maxlen, id, state, from, event, at, batchId, version, note)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*',
    'refundRequestId', id, 'state', state, 'from', from, 'event', event,
    'at', at, 'batchId', batchId, 'version', version, 'note', note)
end
