// Turning the read script's consistent view of a stream into the answer of readAfter.
import type { ReadResult, StoredEvent } from '../hub/backend.js';
import { entryLimits, entrySeq, entryToEvent } from './entries.js';
import { ZERO_ID, compareStreamIds, streamIdTime } from './ids.js';

/** What READ_SCRIPT returns: empty for a missing stream. */
export type ReadReply =
  | []
  | [
      lastId: string,
      maxDeletedId: string,
      firstId: string,
      nowMs: string,
      newestFields: string[],
      entriesNewestFirst: Array<[string, string[]]>,
      order?: 'asc',
    ];

/**
 * The answer of readAfter from what READ_SCRIPT saw (`valid`: `after` is a stream id). For a
 * bounded slice (entries oldest first), `undefined` when its first entry is outside the history
 * bounds: the caller then reads the whole window instead (a cursor at the trimmed edge, rare).
 * `known` gives the events of a slice read as ids only (every one of them, checked by the caller).
 */
export function interpretRead(
  channel: string,
  after: string | undefined,
  valid: boolean,
  reply: ReadReply,
  known?: (id: string) => StoredEvent | undefined,
): ReadResult | undefined {
  if (reply.length === 0) {
    return { events: [], complete: after === undefined || after === ZERO_ID, head: ZERO_ID };
  }
  const [head, maxDeleted, firstId, nowText, newest, newestFirst] = reply;
  if (after === undefined) return { events: [], complete: true, head };
  if (!valid || compareStreamIds(after, head) > 0) return { events: [], complete: false, head };

  // Physically trimmed: Redis 7 remembers the largest id it ever deleted; trimming only removes
  // the oldest entries, so on 6.2 an oldest entry after `after` is the (conservative) sign.
  let complete =
    maxDeleted !== ''
      ? compareStreamIds(maxDeleted, after) <= 0
      : firstId === '' ? compareStreamIds(after, head) === 0 : compareStreamIds(firstId, after) <= 0;
  // A stream that never lost an entry may still be a new one: the key of a quiet channel expires
  // and the next publish creates it afresh. A real id from before its first entry then points into
  // the old stream, whose later events are gone; only the zero id (held by whoever subscribed while
  // the channel was empty) is known to have missed nothing.
  if (complete && maxDeleted === ZERO_ID && after !== ZERO_ID && firstId !== '' && compareStreamIds(after, firstId) < 0) {
    complete = false;
  }

  // Logically trimmed: the channel's exact history bounds, as recorded with its newest entry.
  const { maxEvents, maxAgeMs } = entryLimits(newest);
  if (reply[6] === 'asc') {
    // Oldest first. Both bounds keep a suffix of the stream (sequence numbers and times grow), so
    // if the first entry is kept, every later one is, and nothing after `after` was trimmed.
    const newestSeq = entrySeq(newest);
    const cutoff = Number(nowText) - maxAgeMs;
    const first = newestFirst[0];
    if (first !== undefined) {
      const seq = entrySeq(first[1]);
      const byCount = maxEvents >= 0 && (newestSeq === undefined || seq === undefined || newestSeq - seq >= maxEvents);
      const byAge = maxAgeMs >= 0 && streamIdTime(first[0]) <= cutoff;
      if (byCount || byAge) return undefined;
    }
    const events = newestFirst.map(([id, fields]) => known?.(id) ?? entryToEvent(channel, id, fields));
    return { events, complete, head };
  }
  let entries = newestFirst;
  if (maxEvents >= 0 && entries.length > maxEvents) {
    entries = entries.slice(0, maxEvents);
    complete = false;
  }
  if (maxAgeMs >= 0) {
    const cutoff = Number(nowText) - maxAgeMs;
    const kept = entries.filter(([id]) => streamIdTime(id) > cutoff);
    if (kept.length !== entries.length) complete = false;
    entries = kept;
  }
  const events: StoredEvent[] = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    events.push(entryToEvent(channel, entries[i][0], entries[i][1]));
  }
  return { events, complete, head };
}

/** Records the head a read saw, and its sequence number, for a follow that starts there. */
export function rememberHead(heads: Map<string, { id: string; seq: number }>, channel: string, reply: ReadReply): void {
  heads.delete(channel);
  if (reply.length === 0) {
    heads.set(channel, { id: ZERO_ID, seq: 0 });
  } else {
    const seq = entrySeq(reply[4]);
    // The head is the newest entry only when that entry is still there and carries its number.
    if (seq === undefined || reply[4].length === 0) return;
    heads.set(channel, { id: reply[0], seq });
  }
  if (heads.size > 1024) heads.delete(heads.keys().next().value as string);
}

