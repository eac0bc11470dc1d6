// The default hub backend: history and live delivery inside one process. Delivery to followers is
// synchronous within `append`, in append order, even when a follower appends from its callback.
import { EventideError } from '../errors.js';
import { numberOption, timerRule } from '../options/validate.js';
import type { EventRecord, HistoryLimits, HubBackend, ReadResult, StoredEvent } from './backend.js';

/** Options of {@link createMemoryBackend}. */
export interface MemoryBackendOptions {
  /**
   * The clock, in milliseconds since the epoch (default `Date.now`). Ages are measured with it, and
   * ids never fall behind it. Tests inject a fake clock to age history without sleeping.
   */
  clock?: () => number;
  /**
   * How often idle channels are swept for events older than their history allows, in milliseconds
   * (default 60,000; 0 disables the timer; {@link MemoryBackend.sweep} does the same on demand).
   * The timer is unref'd: it never keeps the process alive.
   */
  sweepIntervalMs?: number;
}

interface Follower {
  cursor: number;
  onEvent: (event: StoredEvent) => void;
  onError?: (error: Error) => void;
}

interface ChannelState {
  // Retained events, oldest first, from index `start` on (dropping from the front is O(1)).
  events: StoredEvent[];
  start: number;
  // Every event of this channel with an id at or below `lost` may have been dropped.
  lost: number;
  head: number;
  limits: HistoryLimits | undefined;
  followers: Set<Follower>;
}

const DIGITS = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The in-memory backend: one process, history kept in arrays.
 *
 * Ids are decimal integers drawn from one counter shared by all channels of the backend, so they
 * increase within each channel and are never reused, even by a channel that was released and
 * comes back. The counter never falls behind the clock, so ids of a restarted process start above
 * those of the previous one and a client resuming across a restart gets the gap signal rather
 * than a silent gap.
 */
export class MemoryBackend implements HubBackend {
  readonly zeroId = '0';
  readonly #clock: () => number;
  readonly #channels = new Map<string, ChannelState>();
  readonly #pending: StoredEvent[] = [];
  #last: number;
  // The newest id a released channel may have lost: a channel that comes back cannot tell which
  // of its positions at or below it are still whole. Ids of a previous process are all below it.
  #releasedLost: number;
  #draining = false;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: MemoryBackendOptions = {}) {
    const clock = options.clock ?? Date.now;
    if (typeof clock !== 'function') {
      throw new EventideError('EVENTIDE_INVALID_OPTION', 'memory backend option `clock` must be a function returning milliseconds');
    }
    const sweepIntervalMs = numberOption('createMemoryBackend()', 'sweepIntervalMs', options.sweepIntervalMs, timerRule(60_000));
    this.#clock = clock;
    this.#last = Math.max(0, Math.floor(clock()));
    this.#releasedLost = this.#last;
    if (sweepIntervalMs > 0) {
      this.#timer = setInterval(() => this.sweep(), sweepIntervalMs);
      this.#timer.unref?.();
    }
  }

  /** How many channels the backend holds state for (history or followers). */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** How many events the backend retains for `channel`. */
  retained(channel: string): number {
    const state = this.#channels.get(channel);
    return state === undefined ? 0 : state.events.length - state.start;
  }

  async append(channel: string, record: EventRecord, limits: HistoryLimits): Promise<StoredEvent> {
    if (this.#closed) throw new EventideError('EVENTIDE_CLOSED', 'the memory backend is closed; create a new Hub');
    const state = this.#state(channel);
    const now = this.#clock();
    const id = Math.max(this.#last + 1, Math.floor(now));
    this.#last = id;
    const event: StoredEvent = Object.freeze({
      id: String(id),
      channel,
      time: now,
      data: record.data,
      json: record.json,
      ...(record.type === undefined ? {} : { type: record.type }),
      ...(record.retry === undefined ? {} : { retry: record.retry }),
    });
    state.events.push(event);
    state.head = id;
    state.limits = limits;
    this.#trim(state, now);
    this.#pending.push(event);
    this.#drain();
    this.#releaseIfIdle(channel, state);
    return event;
  }

  async readAfter(channel: string, after: string | undefined, limit?: number): Promise<ReadResult> {
    const state = this.#channels.get(channel);
    const head = state === undefined ? this.#last : state.head;
    if (state !== undefined) {
      this.#trim(state, this.#clock());
      this.#releaseIfIdle(channel, state);
    }
    if (after === undefined) return { events: [], complete: true, head: String(head) };
    if (!this.isValidId(after)) return { events: [], complete: false, head: String(head) };
    const position = Number(after);
    const lost = state === undefined ? this.#releasedLost : state.lost;
    if (position > head) return { events: [], complete: false, head: String(head) };
    const events = state === undefined ? [] : this.#after(state, position, limit);
    return { events, complete: position >= lost, head: String(head) };
  }

  follow(
    channel: string,
    after: string,
    onEvent: (event: StoredEvent) => void,
    onError?: (error: Error) => void,
  ): () => void {
    if (this.#closed) {
      queueMicrotask(() => onError?.(new EventideError('EVENTIDE_CLOSED', 'the memory backend is closed')));
      return () => {};
    }
    const state = this.#state(channel);
    const cursor = this.isValidId(after) ? Number(after) : state.head;
    const follower: Follower = { cursor, onEvent, onError };
    state.followers.add(follower);
    for (const event of this.#after(state, cursor)) this.#deliver(follower, event);
    return () => {
      state.followers.delete(follower);
      if (this.#channels.get(channel) === state) this.#releaseIfIdle(channel, state);
    };
  }

  compareIds(a: string, b: string): number {
    // Ids are canonical decimal integers (no leading zero, see isValidId): the longer one is the
    // larger, and ids of one length compare as text. No parsing: catching-up subscribers compare
    // every event they read.
    if (a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  isValidId(id: string): boolean {
    return typeof id === 'string' && DIGITS.test(id) && Number.isSafeInteger(Number(id));
  }

  /**
   * Drops events older than each channel's age limit and releases channels left with no history
   * and no followers. The sweep timer calls it; tests with a fake clock call it directly.
   */
  sweep(): void {
    const now = this.#clock();
    for (const [channel, state] of this.#channels) {
      this.#trim(state, now);
      this.#releaseIfIdle(channel, state);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#channels.clear();
    this.#pending.length = 0;
  }

  #state(channel: string): ChannelState {
    let state = this.#channels.get(channel);
    if (state === undefined) {
      state = { events: [], start: 0, lost: this.#releasedLost, head: this.#last, limits: undefined, followers: new Set() };
      this.#channels.set(channel, state);
    }
    return state;
  }

  #after(state: ChannelState, position: number, limit?: number): StoredEvent[] {
    // Binary search for the first retained event with an id above `position`.
    let lo = state.start;
    let hi = state.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Number(state.events[mid].id) <= position) lo = mid + 1;
      else hi = mid;
    }
    return limit === undefined || limit <= 0 ? state.events.slice(lo) : state.events.slice(lo, lo + limit);
  }

  #trim(state: ChannelState, now: number): void {
    const limits = state.limits;
    if (limits === undefined) return;
    const { events } = state;
    while (state.start < events.length) {
      const oldest = events[state.start];
      const count = events.length - state.start;
      if (count <= limits.maxEvents && now - oldest.time < limits.maxAgeMs) break;
      state.lost = Number(oldest.id);
      state.start++;
    }
    // Compact once the dropped prefix is at least half the array, so memory follows the history.
    if (state.start > 0 && state.start * 2 >= events.length) {
      state.events = events.slice(state.start);
      state.start = 0;
    }
  }

  #releaseIfIdle(channel: string, state: ChannelState): void {
    if (state.followers.size === 0 && state.start === state.events.length) {
      this.#channels.delete(channel);
      if (state.lost > this.#releasedLost) this.#releasedLost = state.lost;
    }
  }

  #drain(): void {
    // A follower that appends from its callback queues behind the event being delivered, so
    // every follower sees every channel's events in append order.
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let i = 0; i < this.#pending.length; i++) {
        const event = this.#pending[i];
        const state = this.#channels.get(event.channel);
        if (state === undefined) continue;
        for (const follower of [...state.followers]) {
          if (state.followers.has(follower)) this.#deliver(follower, event);
        }
      }
    } finally {
      this.#pending.length = 0;
      this.#draining = false;
    }
  }

  #deliver(follower: Follower, event: StoredEvent): void {
    const id = Number(event.id);
    if (id <= follower.cursor) return;
    follower.cursor = id;
    try {
      follower.onEvent(event);
    } catch (err) {
      // A follower's failure is its own: the others and the publisher go on.
      if (follower.onError !== undefined) follower.onError(err instanceof Error ? err : new Error(String(err)));
      else console.error('[eventide] a memory backend follower without onError threw; the other followers go on', err);
    }
  }
}

/**
 * Creates the in-memory backend, the default of `new Hub()`.
 *
 * @example
 * ```ts
 * const hub = new Hub({ backend: createMemoryBackend({ sweepIntervalMs: 10_000 }) });
 * ```
 */
export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  return new MemoryBackend(options);
}
