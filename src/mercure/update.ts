// A Mercure update as it travels through the Hub: one event on the hub's channel whose data is
// a small JSON object. Its id (`i`) comes first, so that a history scan finds an id by a prefix
// test on the stored text without parsing every entry.
import type { MessageEvent } from '../index.js';

/** One update: what a publisher sent, with its id decided. */
export interface Update {
  readonly id: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly private: boolean;
  readonly type?: string | undefined;
  readonly retry?: number | undefined;
}

/** The stored form (short keys: it is written to every entry of the history). */
interface StoredUpdate {
  i: string;
  t: string[];
  d: string;
  p?: 1;
  y?: string;
  r?: number;
}

/** The object published on the hub's channel. */
export function toStored(update: Update): StoredUpdate {
  const stored: StoredUpdate = { i: update.id, t: [...update.topics], d: update.data };
  if (update.private) stored.p = 1;
  if (update.type !== undefined) stored.y = update.type;
  if (update.retry !== undefined) stored.r = update.retry;
  return stored;
}

/** Reads an update back from the data of a hub event; `undefined` for anything else. */
export function fromStored(data: unknown): Update | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const s = data as Partial<StoredUpdate>;
  if (typeof s.i !== 'string' || !Array.isArray(s.t) || typeof s.d !== 'string') return undefined;
  return {
    id: s.i,
    topics: s.t,
    data: s.d,
    private: s.p === 1,
    type: typeof s.y === 'string' ? s.y : undefined,
    retry: typeof s.r === 'number' ? s.r : undefined,
  };
}

/** The start of the stored text of the update with this id (see {@link toStored}). */
export function storedPrefix(id: string): string {
  return `{"i":${JSON.stringify(id)},`;
}

/** The SSE event sent to subscribers: frozen, so the connection encodes it once for all. */
export function frameOf(update: Update): MessageEvent<string> {
  const event: { id: string; data: string; type?: string; retry?: number } = { id: update.id, data: update.data };
  if (update.type !== undefined) event.type = update.type;
  if (update.retry !== undefined) event.retry = update.retry;
  return Object.freeze(event);
}
