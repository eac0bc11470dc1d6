// One subscriber of a hub: attach to the channel feeds (buffering), read the replay, emit
// [gap signal], replay, the buffered live events not already replayed, then live events. Each
// channel keeps a cursor (the last position emitted), and an event is emitted only past it: that
// is what makes the handoff from replay to live gapless and free of duplicates.
import type { Subscriber } from 'rxjs';
import type { HubBackend, ReadResult, StoredEvent } from './backend.js';
import type { ChannelFeed, FeedListener } from './feed.js';
import { channelSetTag, describeLastEventId, formatPositions, parsePositions } from './ids.js';
import { anchorEvent, type PreparedEvent } from './prepared.js';
import { GAP_EVENT_TYPE, type GapSignalData, type HubEvent } from './types.js';

/** Bytes of catch-up (replay and buffered live events) emitted per turn of the event loop. */
export const REPLAY_SLICE_BYTES = 64 * 1024;

/** What a subscription needs of its hub. */
export interface SubscriptionHost {
  readonly backend: HubBackend;
  acquireFeed(channel: string): ChannelFeed;
  releaseFeed(feed: ChannelFeed): void;
}

/** One subscriber's stream: its channels, cursors and the replay-to-live handoff. Internal. */
export class HubSubscription {
  readonly #host: SubscriptionHost;
  readonly #channels: readonly string[];
  readonly #tag: string;
  readonly #subscriber: Subscriber<HubEvent>;
  readonly #feeds: ChannelFeed[] = [];
  readonly #listeners: FeedListener[] = [];
  readonly #cursors: string[];
  #buffer: { index: number; event: PreparedEvent }[] | undefined = [];
  #closed = false;

  constructor(host: SubscriptionHost, channels: readonly string[], subscriber: Subscriber<HubEvent>) {
    this.#host = host;
    this.#channels = channels;
    this.#tag = channels.length > 1 ? channelSetTag(channels) : '';
    this.#subscriber = subscriber;
    this.#cursors = channels.map(() => '');
  }

  /** Attaches to the feeds now, then replays and goes live. Failures end the subscriber with an error. */
  start(lastEventId: unknown, anchor: boolean): void {
    this.#channels.forEach((channel, index) => {
      const feed = this.#host.acquireFeed(channel);
      const listener: FeedListener = (event) => {
        if (this.#buffer !== undefined) this.#buffer.push({ index, event });
        else this.#emitLive(index, event);
      };
      feed.add(listener);
      this.#feeds.push(feed);
      this.#listeners.push(listener);
    });
    this.#catchUp(lastEventId, anchor).catch((err: unknown) => {
      if (this.#closed) return;
      this.#subscriber.error(err);
    });
  }

  /** Detaches from the feeds (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = undefined;
    this.#feeds.forEach((feed, i) => {
      feed.remove(this.#listeners[i]);
      this.#host.releaseFeed(feed);
    });
    this.#feeds.length = 0;
  }

  /** Completes the subscriber (the hub is closing). */
  complete(): void {
    if (this.#closed) return;
    this.close();
    this.#subscriber.complete();
  }

  async #catchUp(lastEventId: unknown, anchor: boolean): Promise<void> {
    const { backend } = this.#host;
    await Promise.all(this.#feeds.map((feed) => feed.ready));
    if (this.#closed) return;
    const asked = parsePositions(lastEventId, this.#channels, this.#tag, (id) => backend.isValidId(id));
    const reads: ReadResult[] = await Promise.all(
      this.#channels.map((channel, i) => backend.readAfter(channel, asked === null ? undefined : asked[i])),
    );
    if (this.#closed) return;

    const gapped: string[] = [];
    const replay: { index: number; stored: StoredEvent }[] = [];
    reads.forEach((read, i) => {
      const position = asked === null ? undefined : asked[i];
      if (asked === null) {
        this.#cursors[i] = read.head;
      } else if (position === undefined || !read.complete) {
        // Unknown or trimmed: the client missed events we cannot give it. It restarts at the head.
        gapped.push(this.#channels[i]);
        this.#cursors[i] = read.head;
      } else {
        this.#cursors[i] = position;
        for (const stored of read.events) replay.push({ index: i, stored });
      }
    });
    // Across channels, replay in publication-time order; a stable sort keeps each channel's order.
    if (this.#channels.length > 1) replay.sort((a, b) => a.stored.time - b.stored.time);

    let emitted = false;
    if (gapped.length > 0) {
      const data: GapSignalData = Object.freeze({
        channels: Object.freeze(gapped),
        lastEventId: describeLastEventId(lastEventId),
      });
      this.#subscriber.next(Object.freeze({ type: GAP_EVENT_TYPE, data, id: this.#position() }));
      emitted = true;
    }
    // A long catch-up goes out in slices, one per turn of the event loop: the connection flushes
    // between them, so a client that reads stays within its buffer bound instead of being taken
    // for a slow client by a burst it never asked to be fast for. Live events keep buffering.
    let slice = 0;
    const emit = async (index: number, event: PreparedEvent): Promise<boolean> => {
      if (slice >= REPLAY_SLICE_BYTES) {
        slice = 0;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#closed) return false;
      }
      if (!this.#emitIfNew(index, event)) return true;
      emitted = true;
      slice += event.body.length;
      return !this.#closed;
    };
    for (const { index, stored } of replay) {
      if (!(await emit(index, this.#feeds[index].prepare(stored)))) return;
    }
    // The buffer grows while it drains (live events, or a subscriber publishing from its handler).
    const buffer = this.#buffer ?? [];
    for (let i = 0; i < buffer.length; i++) {
      if (!(await emit(buffer[i].index, buffer[i].event))) return;
    }
    if (this.#closed) return;
    this.#buffer = undefined;
    if (!emitted && anchor) {
      const position = this.#position();
      if (position !== lastEventId) this.#subscriber.next(anchorEvent(position));
    }
  }

  #emitLive(index: number, event: PreparedEvent): void {
    if (!this.#closed) this.#emitIfNew(index, event);
  }

  #emitIfNew(index: number, event: PreparedEvent): boolean {
    if (this.#host.backend.compareIds(event.id, this.#cursors[index]) <= 0) return false;
    this.#cursors[index] = event.id;
    this.#subscriber.next(this.#channels.length === 1 ? event.single() : event.withStreamId(this.#position()));
    return true;
  }

  #position(): string {
    return this.#channels.length === 1 ? this.#cursors[0] : formatPositions(this.#tag, this.#cursors);
  }
}
