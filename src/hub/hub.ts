// The hub: named channels with ids, history, resume after Last-Event-ID and encode-once fan-out,
// over a pluggable backend (memory by default, Redis Streams from `eventide/redis`).
import { Observable } from 'rxjs';
import { EventideError } from '../errors.js';
import { checkRetry, checkType, serializeData } from '../protocol/encode.js';
import type { MessageEvent } from '../protocol/types.js';
import { numberOption, checkOptionsObject, countRule, functionOption, timerRule } from '../options/validate.js';
import { currentDemand } from '../sources/demand.js';
import { FRAME_SOURCE, type SourceSink, type StreamSource } from '../sources/types.js';
import type { EventRecord, HistoryLimits, HubBackend } from './backend.js';
import { ChannelFeed } from './feed.js';
import { checkChannel, normalizeChannels } from './ids.js';
import { createMemoryBackend } from './memory.js';
import { FrameSubscription, ObservableOutput } from './outputs.js';
import { HubSubscription, type SubscriptionHost } from './subscription.js';
import type { HubEvent, HubOptions, SubscribeOptions } from './types.js';

const RESERVED_TYPE_PREFIX = 'eventide-';

/** Default of `stallTimeoutMs`: a subscriber whose client takes no byte for 30 s is closed. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

interface FeedEntry {
  feed: ChannelFeed;
  refs: number;
}

const WHERE = 'new Hub()';

function limitsFrom(history: unknown): HistoryLimits {
  if (history !== undefined && (history === null || typeof history !== 'object' || Array.isArray(history))) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `${WHERE} option \`history\` must be an object like { maxEvents, maxAgeMs }`);
  }
  const options = checkOptionsObject(`${WHERE} history`, history, ['maxEvents', 'maxAgeMs']);
  const maxEvents = numberOption(WHERE, 'history.maxEvents', options.maxEvents, countRule(1000));
  const maxAgeMs = numberOption(WHERE, 'history.maxAgeMs', options.maxAgeMs, countRule(3_600_000));
  return Object.freeze({ maxEvents, maxAgeMs });
}

function defaultOnError(error: Error, channel: string): void {
  process.emitWarning(`eventide hub: channel ${JSON.stringify(channel)}: ${error.message}`, { code: 'EVENTIDE_HUB', detail: error.stack });
}

/**
 * Named broadcast channels. Publishing assigns each event an id and keeps a bounded history;
 * subscribing gives an Observable that replays what a client missed after its `Last-Event-ID`
 * and then goes live, encoding each event once however many subscribers receive it.
 *
 * @example
 * ```ts
 * const hub = new Hub({ history: { maxEvents: 500 } });
 * await hub.publish('news', { data: { title: 'hi' }, type: 'headline' });
 *
 * @Controller()
 * class News {
 *   @Sse('news')
 *   stream(ctx: RequestContext) {
 *     return hub.subscribe('news', { lastEventId: ctx.lastEventId });
 *   }
 * }
 * ```
 */
export class Hub {
  /** The backend events are stored in and travel through. */
  readonly backend: HubBackend;
  /** The history bounds every channel of this hub is kept to. */
  readonly history: HistoryLimits;
  /** How long a subscriber's connection may take no byte at all before it is closed as slow (0: never). */
  readonly stallTimeoutMs: number;
  readonly #onError: (error: Error, channel: string) => void;
  readonly #feeds = new Map<string, FeedEntry>();
  readonly #subscriptions = new Set<HubSubscription>();
  readonly #host: SubscriptionHost;
  #closed = false;
  #closing: Promise<void> | undefined;
  #lagging = 0;
  /** The last single-channel list subscribed to, given again to the next subscriber of that channel. */
  #lastSingle: readonly string[] | undefined;

  /**
   * @param options - `backend` (default: in-memory), `history` (default: 1,000 events and one
   *   hour per channel), `onError` (default: `process.emitWarning`).
   */
  constructor(options: HubOptions = {}) {
    const checked = checkOptionsObject(WHERE, options, ['backend', 'history', 'onError', 'stallTimeoutMs']);
    this.history = limitsFrom(checked.history);
    this.#onError = functionOption(WHERE, 'onError', checked.onError, defaultOnError);
    this.stallTimeoutMs = numberOption(WHERE, 'stallTimeoutMs', checked.stallTimeoutMs, timerRule(DEFAULT_STALL_TIMEOUT_MS));
    const backend = checked.backend as HubBackend | undefined;
    if (backend !== undefined && (backend === null || typeof backend !== 'object')) {
      throw new EventideError('EVENTIDE_INVALID_OPTION', `${WHERE} option \`backend\` must be a HubBackend object`);
    }
    this.backend = backend ?? createMemoryBackend();
    for (const method of ['append', 'readAfter', 'follow', 'compareIds', 'isValidId', 'close'] as const) {
      if (typeof (this.backend as Partial<HubBackend>)[method] !== 'function') {
        throw new EventideError('EVENTIDE_INVALID_OPTION', `${WHERE} option \`backend\` must implement HubBackend; its \`${method}\` is not a function`);
      }
    }
    this.#host = {
      backend: this.backend,
      stallTimeoutMs: this.stallTimeoutMs,
      acquireFeed: (channel) => this.#acquireFeed(channel),
      releaseFeed: (feed) => this.#releaseFeed(feed),
      report: (error, channels) => this.#report(error, channels),
      countLagging: (delta) => {
        this.#lagging += delta;
      },
      open: (subscription, lastEventId, anchor) => {
        if (this.#closed) return closedError();
        this.#subscriptions.add(subscription);
        try {
          subscription.open(lastEventId, anchor);
        } catch (err) {
          this.#subscriptions.delete(subscription);
          subscription.close();
          throw err;
        }
        return undefined;
      },
      close: (subscription) => {
        this.#subscriptions.delete(subscription);
        subscription.close();
      },
    };
  }

  /** How many channels this process follows right now (one feed per channel with subscribers). */
  get activeChannels(): number {
    return this.#feeds.size;
  }

  /** How many subscriptions are open. */
  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  /**
   * How many open subscriptions are catching up: they fell behind the live fan-out (their client
   * read too slowly, or they resumed from further back than one read) and read from the history
   * until they rejoin it. A lasting high count means clients slower than the channels they follow.
   */
  get laggingSubscriptions(): number {
    return this.#lagging;
  }

  /**
   * Publishes one event to `channel` and resolves with the id the hub gave it, once the backend has
   * stored it. Rejects with `EVENTIDE_INVALID_CHANNEL` or `EVENTIDE_INVALID_EVENT` for bad input
   * (an `id` among them: the hub assigns ids), `EVENTIDE_CLOSED` after `close()`, and the
   * backend's error (e.g. `EVENTIDE_PUBLISH_FAILED`) when it could not be stored.
   *
   * @example
   * ```ts
   * const id = await hub.publish('prices', { data: { symbol: 'ACME', price: 12.5 }, type: 'tick' });
   * ```
   */
  async publish(channel: string, event: Omit<MessageEvent<unknown>, 'id'> & { id?: undefined }): Promise<string> {
    if (this.#closed) throw new EventideError('EVENTIDE_CLOSED', 'this hub is closed; publish to an open Hub');
    checkChannel(channel);
    const record = toRecord(event);
    const stored = await this.backend.append(channel, record, this.history);
    this.#feeds.get(channel)?.feed.published(stored.id);
    return stored.id;
  }

  /**
   * Subscribes to one channel or several. The Observable is cold: each subscription replays after
   * `lastEventId` (a gap signal of type `eventide-gap` first when that is not possible), then
   * goes live. It completes when the hub closes; unsubscribing releases everything it held.
   * Throws `EVENTIDE_INVALID_CHANNEL` at once for a bad channel list; a hostile `lastEventId` is
   * never thrown about, it yields the gap signal.
   *
   * @example
   * ```ts
   * hub.subscribe(['news', 'alerts'], { lastEventId: ctx.lastEventId }).subscribe((e) => console.log(e.channel, e.data));
   * ```
   */
  subscribe<T = unknown>(channels: string | readonly string[], options: SubscribeOptions = {}): Observable<HubEvent<T>> {
    // Streams of one channel share its list (they keep it as long as they are held).
    const last = this.#lastSingle;
    const list = typeof channels === 'string' && last !== undefined && last[0] === channels ? last : normalizeChannels(channels);
    if (list.length === 1) this.#lastSingle = list;
    const lastEventId = options?.lastEventId;
    const anchor = options?.anchor ?? true;
    const observable = new Observable<HubEvent<T>>((subscriber) => {
      // A connection subscribing right now (through pass-through operators) offers its demand.
      const output = new ObservableOutput(subscriber, currentDemand());
      const subscription = new HubSubscription(this.#host, list, output);
      const refused = this.#host.open(subscription, lastEventId, anchor);
      if (refused !== undefined) {
        subscriber.error(refused);
        return;
      }
      return () => this.#host.close(subscription);
    });
    // The fast path of an @Sse route that returns this Observable as is: the connection takes the
    // frames of prepared events, and each turn's live events as one shared buffer, with no
    // per-event Observable plumbing. Operators return plain Observables and keep the usual path.
    Object.defineProperty(observable, FRAME_SOURCE, {
      value: (): StreamSource => this.#frameSource(list, lastEventId, anchor),
      enumerable: false,
    });
    return observable;
  }

  #frameSource(list: readonly string[], lastEventId: unknown, anchor: boolean): StreamSource {
    return new FrameSubscription(this.#host, list, lastEventId, anchor);
  }

  /**
   * Completes every subscription, stops following the backend and closes it. Publishing or
   * subscribing afterwards fails with `EVENTIDE_CLOSED`. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      for (const subscription of [...this.#subscriptions]) subscription.hubClosed();
      this.#subscriptions.clear();
      for (const { feed } of this.#feeds.values()) feed.stop();
      this.#feeds.clear();
      this.#closing = this.backend.close();
    }
    return this.#closing;
  }

  #report(error: unknown, channels: readonly string[]): void {
    try {
      this.#onError(error instanceof Error ? error : new Error(String(error)), channels.join(','));
    } catch {
      // An onError that throws has nobody left to tell.
    }
  }

  #acquireFeed(channel: string): ChannelFeed {
    let entry = this.#feeds.get(channel);
    if (entry === undefined) {
      const feed = new ChannelFeed(this.backend, channel, this.history.maxEvents, (error) => this.#report(error, [channel]));
      entry = { feed, refs: 0 };
      this.#feeds.set(channel, entry);
      // A feed that could not start is dropped, so that the next subscriber tries afresh.
      feed.ready.catch(() => {
        if (this.#feeds.get(channel)?.feed === feed) this.#feeds.delete(channel);
      });
    }
    entry.refs++;
    return entry.feed;
  }

  #releaseFeed(feed: ChannelFeed): void {
    const entry = this.#feeds.get(feed.channel);
    if (entry === undefined || entry.feed !== feed) return;
    if (--entry.refs === 0) {
      this.#feeds.delete(feed.channel);
      feed.stop();
    }
  }
}

function closedError(): EventideError {
  return new EventideError('EVENTIDE_CLOSED', 'this hub is closed; subscribe to an open Hub');
}

function toRecord(event: unknown): EventRecord {
  if (event === null || typeof event !== 'object') {
    throw new EventideError('EVENTIDE_INVALID_EVENT', `publish takes an event like { data }, got ${event === null ? 'null' : typeof event}`);
  }
  const { data, type, retry, id } = event as MessageEvent<unknown>;
  if (id !== undefined) {
    throw new EventideError('EVENTIDE_INVALID_EVENT', 'the hub assigns event ids: publish the event without `id` (publish resolves with the id given)');
  }
  if (type !== undefined) {
    checkType(type);
    if (type.startsWith(RESERVED_TYPE_PREFIX)) {
      throw new EventideError('EVENTIDE_INVALID_EVENT', `event types starting with "${RESERVED_TYPE_PREFIX}" are reserved for the hub's own signals; rename "${type}"`);
    }
  }
  if (retry !== undefined) checkRetry(retry);
  const text = serializeData(data);
  // Finite numbers, booleans and objects round-trip through JSON.parse; strings, bigints and
  // non-finite numbers ('NaN', 'Infinity') stay text.
  const json = typeof data === 'object' || typeof data === 'boolean' || (typeof data === 'number' && Number.isFinite(data));
  return {
    data: text,
    json,
    ...(type === undefined ? {} : { type }),
    ...(retry === undefined ? {} : { retry }),
  };
}
