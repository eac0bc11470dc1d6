// The two Lua scripts the backend runs. A script runs atomically inside Redis and uses Redis's
// clock, so trimming by age and reading a consistent view need no cross-machine clock agreement.

/**
 * Appends one entry and trims the stream, atomically.
 *
 * KEYS[1] the stream. ARGV[1] entries to keep at least ("-1": no count trim), ARGV[2] milliseconds
 * to keep at least ("-1": no age trim), ARGV[3..] the entry's field/value pairs. Returns the new id.
 *
 * With an age bound, the key expires that long after the last append: by then every entry is past
 * the bound, so an idle channel costs Redis nothing, however many channels come and go.
 *
 * Each entry also gets `s`, its sequence number in the stream (the newest entry's plus one), so a
 * reader can tell that entries it never read were trimmed: a jump in `s` is a gap.
 *
 * XADD accepts one trim strategy per call, so the count bound rides on XADD (MAXLEN) and the age
 * bound follows as XTRIM MINID, computed from the new id's milliseconds (Redis's clock). Both trims
 * are approximate (`~`): Redis drops whole internal nodes only, so it never keeps fewer entries
 * than asked, and trimming stays O(1) amortized. Exact history bounds are applied when reading.
 */
export const APPEND_SCRIPT = `
local seq = 1
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if last[1] then
  local f = last[1][2]
  for i = 1, #f, 2 do
    if f[i] == 's' then seq = (tonumber(f[i + 1]) or 0) + 1 end
  end
end
local args = { 'XADD', KEYS[1] }
if ARGV[1] ~= '-1' then
  args[#args + 1] = 'MAXLEN'; args[#args + 1] = '~'; args[#args + 1] = ARGV[1]
end
args[#args + 1] = '*'
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
args[#args + 1] = 's'; args[#args + 1] = string.format('%.0f', seq)
local id = redis.call(unpack(args))
if ARGV[2] ~= '-1' then
  local ms = tonumber(string.match(id, '^(%d+)-'))
  local cutoff = ms - tonumber(ARGV[2])
  if cutoff > 0 then
    redis.call('XTRIM', KEYS[1], 'MINID', '~', string.format('%.0f', cutoff))
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return id
`;

/**
 * Reads what `readAfter` needs in one consistent view.
 *
 * KEYS[1] the stream. ARGV[1] the id to read after, or "" for none. Returns an empty array when the
 * stream does not exist, else { last-generated-id, max-deleted-entry-id ("" before Redis 7),
 * first entry id ("" when empty), Redis time in ms, newest entry's fields (or an empty array),
 * entries after ARGV[1] newest first (at most the newest entry's maxEvents + 1) }.
 * With ARGV[2], a count: the entries after ARGV[1] oldest first, at most that many, and a seventh
 * element "asc" (a lagging subscriber's bounded slice; trimming is then judged by the caller).
 * With ARGV[3] "ids" as well, each entry of the slice carries only its `s` field: the caller holds
 * the events already and needs to know which ones come next (a reply of ids, not of payloads).
 */
export const READ_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local lastId, maxDeleted, first, newest = '', '', '', {}
for i = 1, #info, 2 do
  local k, v = info[i], info[i + 1]
  if k == 'last-generated-id' then lastId = v
  elseif k == 'max-deleted-entry-id' then maxDeleted = v
  elseif k == 'first-entry' and v then first = v[1]
  elseif k == 'last-entry' and v then newest = v[2]
  end
end
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local entries = {}
local limit = ARGV[2] and tonumber(ARGV[2]) or nil
if ARGV[1] ~= '' and limit and limit > 0 then
  local r = redis.pcall('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', limit)
  if type(r) == 'table' and not r.err then entries = r end
  if ARGV[3] == 'ids' then
    for i = 1, #entries do
      local f, seq = entries[i][2], {}
      for j = 1, #f, 2 do
        if f[j] == 's' then seq = { 's', f[j + 1] } end
      end
      entries[i] = { entries[i][1], seq }
    end
  end
  return { lastId, maxDeleted, first, now, newest, entries, 'asc' }
end
if ARGV[1] ~= '' then
  local count = -1
  for i = 1, #newest, 2 do
    if newest[i] == 'n' then count = tonumber(newest[i + 1]) end
  end
  local r
  if count >= 0 then
    r = redis.pcall('XREVRANGE', KEYS[1], '+', '(' .. ARGV[1], 'COUNT', count + 1)
  else
    r = redis.pcall('XREVRANGE', KEYS[1], '+', '(' .. ARGV[1])
  end
  if type(r) == 'table' and not r.err then entries = r end
end
return { lastId, maxDeleted, first, now, newest, entries }
`;
