// A channel feed: the one backend `follow` of a channel in this process, shared by every local
// subscriber of the channel. It starts with the first subscriber and stops with the last.
import type { HubBackend, StoredEvent } from './backend.js';
import { isEventideError } from '../errors.js';
import { PreparedEvent } from './prepared.js';

/**
 * A subscriber of a feed: an object with methods rather than closures, so that each held
 * subscription costs the feed one entry and no function of its own.
 */
export interface FeedSubscriber {
  /** One event as it arrives, in channel order (subscribers attached one by one). */
  live(index: number, event: PreparedEvent): void;
  /** The events of one turn, in channel order (subscribers attached batched). */
  liveBatch(batch: FeedBatch): void;
  /** The backend lost events of the channel before this process could read them. */
  missed(index: number): void;
}

/**
 * The events a feed received in one turn of the event loop (never empty), shared by every batch
 * listener of the channel: its wire bytes are joined once, however many connections write them.
 */
export class FeedBatch {
  readonly events: readonly PreparedEvent[];
  #bytes: Uint8Array | undefined;
  // The last cursor startsAfter() was asked about, and its answer.
  #askedCursor: string | undefined;
  #startsAfterAsked = false;

  constructor(events: readonly PreparedEvent[]) {
    this.events = events;
  }

  /** The id of the first event. */
  get firstId(): string {
    return this.events[0].id;
  }

  /** The id of the last event: where a subscriber that wrote the batch stands. */
  get lastId(): string {
    return this.events[this.events.length - 1].id;
  }

  /**
   * Whether the batch starts after `cursor`, by `backend`'s order. Remembered for the last cursor
   * asked: subscribers that joined at the same position (all those that joined at the head since
   * the last batch) share one comparison, which would otherwise parse both ids for each of them.
   */
  startsAfter(cursor: string, backend: Pick<HubBackend, 'compareIds'>): boolean {
    if (cursor !== this.#askedCursor) {
      this.#startsAfterAsked = backend.compareIds(this.firstId, cursor) > 0;
      this.#askedCursor = cursor;
    }
    return this.#startsAfterAsked;
  }

  /**
   * Whether {@link bytes} holds at most `limit` bytes, known without joining them. It encodes the
   * events' frames only until the sum passes `limit`: a burst far larger than any connection
   * takes is not encoded all at once just to be refused (its events are encoded as they are sent).
   */
  fitsIn(limit: number): boolean {
    if (this.#bytes !== undefined) return this.#bytes.length <= limit;
    let total = 0;
    for (const event of this.events) {
      total += event.singleFrame().length;
      if (total > limit) return false;
    }
    return true;
  }

  /** The single-channel frames of every event, back to back: one buffer, made on first use. */
  get bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      const events = this.events;
      if (events.length === 1) {
        this.#bytes = events[0].singleFrame();
      } else {
        const frames = new Array<Uint8Array>(events.length);
        let total = 0;
        for (let i = 0; i < events.length; i++) {
          frames[i] = events[i].singleFrame();
          total += frames[i].length;
        }
        this.#bytes = Buffer.concat(frames, total);
      }
    }
    return this.#bytes;
  }
}

// The answer of a feed that never began to follow: its start head cannot be trusted.
const NOT_CHECKED: Promise<boolean> = Promise.resolve(false);

/** The later of two ids of `backend`, the empty string counting as earlier than any. */
export function laterId(backend: HubBackend, a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  return backend.compareIds(a, b) >= 0 ? a : b;
}

/** The live feed of one channel in this process, with its cache of prepared events. Internal. */
export class ChannelFeed {
  readonly channel: string;
  /** Resolves once the backend follow is registered; rejects if the backend could not be reached. */
  readonly ready: Promise<void>;
  /** True once `ready` has resolved: a subscriber then need not wait for it. */
  isReady = false;
  /**
   * Where the feed stands, once ready: the channel's head when it started following, then the id
   * of each event it receives. A subscriber that starts at the head starts here (see
   * {@link ChannelFeed.current}): every later event reaches it through the feed, and it needs no
   * read of its own.
   */
  position = '';
  // The newest id this hub published to the channel (empty: none since the feed started).
  #published = '';
  /** The head the feed began to follow from (set once ready). */
  startHead = '';
  /**
   * Resolves once the read after {@link ChannelFeed.startHead} has answered: true when the follow
   * missed nothing since that head (false too when the feed could not start or stopped).
   */
  readonly checked: Promise<boolean>;
  // True once a read after the feed's starting head found nothing trimmed: its follow then misses
  // nothing, and its position is a start a new subscriber can trust.
  #gapless = false;
  #checking: Promise<boolean> = NOT_CHECKED;
  readonly #backend: HubBackend;
  // Subscribers taking events one by one, with the index of this channel in their subscription.
  readonly #listeners = new Map<FeedSubscriber, number>();
  // Subscribers taking a turn's events at once (single-channel subscriptions: index 0).
  readonly #batchListeners = new Set<FeedSubscriber>();
  // Events received this turn, for the batch listeners; flushed by a microtask, which runs before
  // the connections' end-of-turn flush, so batching adds no latency.
  #pending: PreparedEvent[] | undefined;
  // Prepared events by id, oldest inserted first, so that replays to many subscribers reuse the
  // encoding done for live delivery (or for the first replay). Bounded by the channel's history.
  readonly #cache = new Map<string, PreparedEvent>();
  readonly #cacheSize: number;
  readonly #onError: (error: Error) => void;
  #unfollow: (() => void) | undefined;
  #stopped = false;

  constructor(backend: HubBackend, channel: string, cacheSize: number, onError: (error: Error) => void) {
    this.#backend = backend;
    this.channel = channel;
    this.#cacheSize = cacheSize;
    this.#onError = onError;
    this.ready = this.#start(onError);
    // A failed start is reported to each subscriber awaiting `ready`; this keeps it from also
    // surfacing as an unhandled rejection when none is waiting any more.
    this.ready.catch(() => {});
    this.checked = this.ready.then(
      () => this.#checking,
      () => false,
    );
  }

  /** The newest id this hub finished publishing to the channel since the feed began ('' if none). */
  get publishedMark(): string {
    return this.#published;
  }

  /** This hub published `id` to the channel (its append completed). */
  published(id: string): void {
    this.#published = laterId(this.#backend, this.#published, id);
  }

  /**
   * Whether {@link ChannelFeed.position} is a head a new subscriber may start at: following, known
   * to have missed nothing since the head it started from, and past every event this hub finished
   * publishing to the channel (an event published before a subscribe never reaches that subscriber
   * as live). Events of other processes reach it if this process had not received them yet when
   * it subscribed: it starts no later than the moment it subscribed.
   */
  get current(): boolean {
    return this.#gapless && (this.#published === '' || this.#backend.compareIds(this.position, this.#published) >= 0);
  }

  get listenerCount(): number {
    return this.#listeners.size + this.#batchListeners.size;
  }

  /** Delivers this channel's events to `subscriber`, as `index`, one by one or (`batched`) a turn at a time. */
  attach(subscriber: FeedSubscriber, index: number, batched: boolean): void {
    if (batched) this.#batchListeners.add(subscriber);
    else this.#listeners.set(subscriber, index);
  }

  detach(subscriber: FeedSubscriber): void {
    this.#listeners.delete(subscriber);
    this.#batchListeners.delete(subscriber);
  }

  /** The stored event with this id, if this feed still holds it (received live or read recently). */
  readonly known = (id: string): StoredEvent | undefined => this.#cache.get(id)?.stored;

  /** The prepared form of a stored event, encoded at most once while it stays in the cache. */
  prepare(stored: StoredEvent): PreparedEvent {
    let prepared = this.#cache.get(stored.id);
    if (prepared === undefined) {
      prepared = new PreparedEvent(stored);
      if (this.#cacheSize > 0) {
        this.#cache.set(stored.id, prepared);
        if (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
      }
    }
    return prepared;
  }

  stop(): void {
    this.#stopped = true;
    this.#listeners.clear();
    this.#batchListeners.clear();
    this.#pending = undefined;
    this.#cache.clear();
    this.#unfollow?.();
    this.#unfollow = undefined;
  }

  readonly #flush = (): void => {
    const events = this.#pending;
    this.#pending = undefined;
    if (events === undefined || this.#stopped) return;
    const batch = new FeedBatch(events);
    for (const subscriber of this.#batchListeners) {
      try {
        subscriber.liveBatch(batch);
      } catch (err) {
        // One subscriber's failure must not cost the others their batch (nor crash the process
        // from a microtask).
        this.#onError(err instanceof Error ? err : new Error(String(err)));
      }
    }
  };

  #tellMissed(subscriber: FeedSubscriber, index: number): void {
    try {
      subscriber.missed(index);
    } catch (err) {
      this.#onError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async #start(onError: (error: Error) => void): Promise<void> {
    // Follow from the head as of now: each subscriber reads its replay after this point, so
    // everything newer than its replay reaches it through the feed.
    const { head } = await this.#backend.readAfter(this.channel, undefined);
    if (this.#stopped) return;
    this.position = head;
    this.startHead = head;
    this.#unfollow = this.#backend.follow(
      this.channel,
      head,
      (stored) => {
        if (this.#stopped) return;
        this.position = stored.id;
        const prepared = this.prepare(stored);
        if (this.#listeners.size > 0) {
          prepared.fanOut(() => {
            for (const [subscriber, index] of this.#listeners) {
              try {
                subscriber.live(index, prepared);
              } catch (err) {
                // One subscriber's failure is its own (subscriptions end themselves on one).
                this.#onError(err instanceof Error ? err : new Error(String(err)));
              }
            }
          });
        }
        if (this.#batchListeners.size > 0) {
          if (this.#pending === undefined) {
            this.#pending = [];
            queueMicrotask(this.#flush);
          }
          this.#pending.push(prepared);
        }
      },
      (error) => {
        if (isEventideError(error, 'EVENTIDE_EVENTS_MISSED') && !this.#stopped) {
          // Events before the loss go out first (the pending batch), then the subscribers hear
          // of the loss (a gap signal), then the events after it.
          this.#flush();
          for (const [subscriber, index] of this.#listeners) this.#tellMissed(subscriber, index);
          for (const subscriber of this.#batchListeners) this.#tellMissed(subscriber, 0);
        }
        onError(error);
      },
    );
    if (this.#stopped) {
      this.#unfollow();
      this.#unfollow = undefined;
      return;
    }
    this.isReady = true;
    // The head was read before the follow began: events appended in between reach the follow only
    // if the history still held them when it began. A read after the head, made now that the
    // follow runs, tells whether it did; until it answers (and for good if it found a loss), new
    // subscribers read their own head instead of starting at the feed's position.
    this.#checking = this.#backend.readAfter(this.channel, head, 1).then(
      (read) => {
        if (read.complete && !this.#stopped) this.#gapless = true;
        return this.#gapless;
      },
      () => false,
    );
  }
}
