import { EVENT_TIME_OFFSET } from '../codec/row-codec.js';

/**
 * The conditional batch write (ADR 0020): for each key, the stored event and created times
 * are read at their fixed offsets and the new row is written only if it is not older.
 * KEYS are row keys; ARGV holds, per key, the row bytes and an absolute expiry in ms (0: none).
 * Returns how many rows were skipped as older.
 */
export const CONDITIONAL_SET_LUA = `
local skipped = 0
for i = 1, #KEYS do
  local k = KEYS[i]
  local v = ARGV[2 * i - 1]
  local exp = tonumber(ARGV[2 * i])
  local cur = redis.call('GETRANGE', k, ${EVENT_TIME_OFFSET}, ${EVENT_TIME_OFFSET + 15})
  local write = true
  if #cur == 16 then
    local ce, cc = struct.unpack('<dd', cur)
    local ne, nc = struct.unpack('<dd', string.sub(v, ${EVENT_TIME_OFFSET + 1}, ${EVENT_TIME_OFFSET + 16}))
    if ne < ce or (ne == ce and nc < cc) then write = false end
  end
  if write then
    if exp > 0 then redis.call('SET', k, v, 'PXAT', exp) else redis.call('SET', k, v) end
  else
    skipped = skipped + 1
  end
end
return skipped
`;

/** Keys per EVALSHA: large enough to amortize the call, small enough not to stall Redis. */
export const WRITE_BATCH = 200;
