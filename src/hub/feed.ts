// A channel feed: the one backend `follow` of a channel in this process, shared by every local
// subscriber of the channel. It starts with the first subscriber and stops with the last.
import type { HubBackend, StoredEvent } from './backend.js';
import { PreparedEvent } from './prepared.js';

/** Receives every event the feed delivers, in channel order. */
export type FeedListener = (event: PreparedEvent) => void;

/** The live feed of one channel in this process, with its cache of prepared events. Internal. */
export class ChannelFeed {
  readonly channel: string;
  /** Resolves once the backend follow is registered; rejects if the backend could not be reached. */
  readonly ready: Promise<void>;
  readonly #backend: HubBackend;
  readonly #listeners = new Set<FeedListener>();
  // Prepared events by id, oldest inserted first, so that replays to many subscribers reuse the
  // encoding done for live delivery (or for the first replay). Bounded by the channel's history.
  readonly #cache = new Map<string, PreparedEvent>();
  readonly #cacheSize: number;
  #unfollow: (() => void) | undefined;
  #stopped = false;

  constructor(backend: HubBackend, channel: string, cacheSize: number, onError: (error: Error) => void) {
    this.#backend = backend;
    this.channel = channel;
    this.#cacheSize = cacheSize;
    this.ready = this.#start(onError);
    // A failed start is reported to each subscriber awaiting `ready`; this keeps it from also
    // surfacing as an unhandled rejection when none is waiting any more.
    this.ready.catch(() => {});
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  add(listener: FeedListener): void {
    this.#listeners.add(listener);
  }

  remove(listener: FeedListener): void {
    this.#listeners.delete(listener);
  }

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
    this.#cache.clear();
    this.#unfollow?.();
    this.#unfollow = undefined;
  }

  async #start(onError: (error: Error) => void): Promise<void> {
    // Follow from the head as of now: each subscriber reads its replay after this point, so
    // everything newer than its replay reaches it through the feed.
    const { head } = await this.#backend.readAfter(this.channel, undefined);
    if (this.#stopped) return;
    this.#unfollow = this.#backend.follow(
      this.channel,
      head,
      (stored) => {
        if (this.#stopped) return;
        const prepared = this.prepare(stored);
        prepared.fanOut(() => {
          for (const listener of this.#listeners) listener(prepared);
        });
      },
      onError,
    );
    if (this.#stopped) {
      this.#unfollow();
      this.#unfollow = undefined;
    }
  }
}
