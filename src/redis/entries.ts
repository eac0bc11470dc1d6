// How one event is laid out as the fields of a stream entry, and read back.
//
// Fields (short names keep every entry small; Redis stores field names per entry unless they repeat
// the stream's master entry):
//   d  the data text            j  "1" when d is JSON of a non-string value, else "0"
//   t  the event type, if any   r  the retry value, if any
//   n  the channel's maxEvents  a  the channel's maxAgeMs   ("-1" when unbounded)
//   s  the entry's sequence number in its stream (added by the append script)
// The event's time is the milliseconds part of its id: Redis's own clock, the same for every
// process. n and a travel with each entry so that every process reading the channel applies the
// same history bounds, including to a channel nobody has published to for a while.
import type { EventRecord, HistoryLimits, StoredEvent } from '../hub/backend.js';
import { streamIdTime } from './ids.js';

/** The history bounds recorded with an entry; -1 means unbounded. */
export interface EntryLimits {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

/** Flattens a record and its channel's limits into XADD field/value arguments. */
export function entryFields(record: EventRecord, limits: HistoryLimits): string[] {
  const fields = ['d', record.data, 'j', record.json ? '1' : '0'];
  if (record.type !== undefined) fields.push('t', record.type);
  if (record.retry !== undefined) fields.push('r', String(record.retry));
  fields.push('n', limitText(limits.maxEvents), 'a', limitText(limits.maxAgeMs));
  return fields;
}

function limitText(value: number): string {
  return Number.isFinite(value) ? String(Math.max(0, Math.floor(value))) : '-1';
}

/** Rebuilds the stored event from a stream entry's id and flat field list. */
export function entryToEvent(channel: string, id: string, fields: readonly string[]): StoredEvent {
  let data = '';
  let json = false;
  let type: string | undefined;
  let retry: number | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    switch (fields[i]) {
      case 'd': data = value; break;
      case 'j': json = value === '1'; break;
      case 't': type = value; break;
      case 'r': retry = Number(value); break;
      default: break; // n, a and fields of later versions
    }
  }
  const event: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = {
    id,
    channel,
    time: streamIdTime(id),
    data,
    json,
  };
  if (type !== undefined) event.type = type;
  if (retry !== undefined && Number.isFinite(retry)) event.retry = retry;
  // Frozen like the memory backend's events: shared by every subscriber, never mutated.
  return Object.freeze(event);
}

/** The history bounds recorded in an entry's fields (unbounded when absent). */
export function entryLimits(fields: readonly string[]): EntryLimits {
  let maxEvents = -1;
  let maxAgeMs = -1;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'n') maxEvents = Number(fields[i + 1]);
    else if (fields[i] === 'a') maxAgeMs = Number(fields[i + 1]);
  }
  return { maxEvents, maxAgeMs };
}

/** The sequence number recorded in an entry's fields, if any. */
export function entrySeq(fields: readonly string[]): number | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 's') {
      const seq = Number(fields[i + 1]);
      return Number.isSafeInteger(seq) ? seq : undefined;
    }
  }
  return undefined;
}
