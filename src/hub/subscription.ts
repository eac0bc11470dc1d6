// One subscriber of a hub: attach to the channel feeds (buffering), read the replay, emit
// [gap signal], replay, the buffered live events not already replayed, then live events. Each
// channel keeps a cursor (the last position emitted), and an event is emitted only past it: that
// is what makes the handoff from replay to live gapless and free of duplicates.
//
// Two outputs: an rxjs Subscriber (the Observable of `hub.subscribe`), or a connection's
// SourceSink (the fast path an @Sse route takes when it returns that Observable as is). On the
// fast path, a single-channel stream writes the frames of prepared events, and once live, each
// turn's events as one buffer shared with every other subscriber of the channel.
import type { HubBackend, ReadResult, StoredEvent } from './backend.js';
import type { BatchListener, ChannelFeed, FeedBatch, FeedListener, MissedListener } from './feed.js';
import { channelSetTag, describeLastEventId, formatPositions, parsePositions } from './ids.js';
import { anchorEvent, type PreparedEvent } from './prepared.js';
import type { SourceSink } from '../sources/types.js';
import { GAP_EVENT_TYPE, type GapSignalData, type HubEvent } from './types.js';

/** Bytes of catch-up (replay and buffered live events) emitted per turn of the event loop on the Observable path. */
export const REPLAY_SLICE_BYTES = 64 * 1024;

/**
 * On the fast path the catch-up waits for the connection to drain (`sink.ready()`). Live events
 * arriving meanwhile are held; past this many bytes of them the catch-up stops waiting and lets
 * the connection's own bound decide (a client that never reads is then evicted as slow), so that
 * holding is bounded.
 */
export const MAX_HELD_BYTES = 1024 * 1024;

/** What a subscription needs of its hub. */
export interface SubscriptionHost {
  readonly backend: HubBackend;
  acquireFeed(channel: string): ChannelFeed;
  releaseFeed(feed: ChannelFeed): void;
}

/** Where the Observable path delivers: the part of an rxjs Subscriber used here. */
export interface SubscriptionOutput {
  next(event: HubEvent): void;
  error(err: unknown): void;
  complete(): void;
}

/** One subscriber's stream: its channels, cursors and the replay-to-live handoff. Internal. */
export class HubSubscription {
  readonly #host: SubscriptionHost;
  readonly #channels: readonly string[];
  readonly #tag: string;
  readonly #out: SubscriptionOutput;
  // Set on the fast path: the connection itself (`#out` is then the same object).
  readonly #sink: SourceSink | undefined;
  readonly #feeds: ChannelFeed[] = [];
  readonly #detach: (() => void)[] = [];
  readonly #cursors: string[];
  // Per channel: the cursor is the newest event the feed has delivered, so (feeds being ordered
  // and exactly-once) every later feed event is past it and needs no comparison.
  readonly #synced: boolean[];
  // Held during the catch-up; `event: null` marks where the backend lost events (a gap signal).
  #buffer: { index: number; event: PreparedEvent | null }[] | undefined = [];
  #heldBytes = 0;
  #overflowed = false;
  #onOverflow: (() => void) | undefined;
  #closed = false;

  /**
   * @param output - an rxjs Subscriber, or a connection's SourceSink for the fast path (`sink`).
   */
  constructor(host: SubscriptionHost, channels: readonly string[], output: SubscriptionOutput | SourceSink, fast = false) {
    this.#host = host;
    this.#channels = channels;
    this.#tag = channels.length > 1 ? channelSetTag(channels) : '';
    this.#out = output as SubscriptionOutput;
    this.#sink = fast ? (output as SourceSink) : undefined;
    this.#cursors = channels.map(() => '');
    this.#synced = channels.map(() => false);
  }

  /** Attaches to the feeds now, then replays and goes live. Failures end the output with an error. */
  start(lastEventId: unknown, anchor: boolean): void {
    const batched = this.#sink !== undefined && this.#channels.length === 1;
    this.#channels.forEach((channel, index) => {
      const feed = this.#host.acquireFeed(channel);
      this.#feeds.push(feed);
      if (batched) {
        const listener: BatchListener = (batch) => this.#onBatch(batch);
        feed.addBatchListener(listener);
        this.#detach.push(() => feed.removeBatchListener(listener));
      } else {
        const listener: FeedListener = (event) => {
          if (this.#buffer !== undefined) this.#hold(index, event);
          else if (!this.#closed) this.#emitIfNew(index, event, true);
        };
        feed.add(listener);
        this.#detach.push(() => feed.remove(listener));
      }
      const missed: MissedListener = () => this.#onMissed(index);
      feed.addMissedListener(missed);
      this.#detach.push(() => feed.removeMissedListener(missed));
    });
    this.#catchUp(lastEventId, anchor).catch((err: unknown) => {
      if (this.#closed) return;
      this.#out.error(err);
    });
  }

  /** Detaches from the feeds (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = undefined;
    this.#onOverflow?.();
    for (const detach of this.#detach) detach();
    this.#detach.length = 0;
    for (const feed of this.#feeds) this.#host.releaseFeed(feed);
    this.#feeds.length = 0;
  }

  /** Completes the output (the hub is closing). */
  complete(): void {
    if (this.#closed) return;
    this.close();
    this.#out.complete();
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
      this.#emitGap(gapped, describeLastEventId(lastEventId));
      emitted = true;
    }
    // A long catch-up must not flood the connection: a client that reads would be taken for a
    // slow one by a burst it never asked to be fast for. The fast path waits for the connection
    // to drain; the Observable path, which cannot know, sends one slice per turn of the event
    // loop (the connection flushes between them). Live events keep being held meanwhile.
    const sink = this.#sink;
    let slice = 0;
    const emit = async (index: number, event: PreparedEvent | null, fromFeed: boolean): Promise<boolean> => {
      if (event === null) {
        this.#emitMissed(index);
        emitted = true;
        return !this.#closed;
      }
      if (sink !== undefined) {
        const wait = this.#overflowed ? undefined : sink.ready();
        if (wait !== undefined) {
          await new Promise<void>((resolve) => {
            this.#onOverflow = resolve;
            void wait.then(resolve);
          });
          this.#onOverflow = undefined;
          if (this.#closed) return false;
        }
      } else if (slice >= REPLAY_SLICE_BYTES) {
        slice = 0;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#closed) return false;
      }
      if (!this.#emitIfNew(index, event, fromFeed)) return true;
      emitted = true;
      slice += event.body.length;
      return !this.#closed;
    };
    for (const { index, stored } of replay) {
      if (!(await emit(index, this.#feeds[index].prepare(stored), false))) return;
    }
    // The buffer grows while it drains (live events, or a subscriber publishing from its handler).
    const buffer = this.#buffer ?? [];
    for (let i = 0; i < buffer.length; i++) {
      if (!(await emit(buffer[i].index, buffer[i].event, true))) return;
    }
    if (this.#closed) return;
    this.#buffer = undefined;
    if (!emitted && anchor) {
      const position = this.#position();
      if (position !== lastEventId) this.#out.next(anchorEvent(position));
    }
  }

  /** The backend lost events of a channel before this process read them: never a silent gap. */
  #onMissed(index: number): void {
    if (this.#closed) return;
    if (this.#buffer !== undefined) this.#buffer.push({ index, event: null });
    else this.#emitMissed(index);
  }

  #emitMissed(index: number): void {
    this.#emitGap([this.#channels[index]], this.#position());
  }

  /** The gap signal: `channels` missed events after `lastEventId`; its id is the current position. */
  #emitGap(channels: string[], lastEventId: string | null): void {
    const data: GapSignalData = Object.freeze({ channels: Object.freeze(channels), lastEventId });
    this.#out.next(Object.freeze({ type: GAP_EVENT_TYPE, data, id: this.#position() }));
  }

  /** Holds a live event that arrived during the catch-up. */
  #hold(index: number, event: PreparedEvent): void {
    this.#buffer!.push({ index, event });
    this.#heldBytes += event.body.length;
    if (this.#heldBytes > MAX_HELD_BYTES && !this.#overflowed) {
      this.#overflowed = true;
      this.#onOverflow?.();
    }
  }

  /** The fast path's live delivery: a turn's events of the (only) channel. */
  #onBatch(batch: FeedBatch): void {
    if (this.#closed) return;
    if (this.#buffer !== undefined) {
      for (const event of batch.events) this.#hold(0, event);
      return;
    }
    // The common case: one shared buffer, no comparison. The cursor moves first, since writing
    // may end the stream (a slow client).
    if (this.#synced[0] || this.#host.backend.compareIds(batch.firstId, this.#cursors[0]) > 0) {
      this.#synced[0] = true;
      this.#cursors[0] = batch.lastId;
      this.#sink!.frame(batch.bytes);
      return;
    }
    // Just caught up: part of the batch was replayed already. Only what is past the cursor goes.
    const events = batch.events;
    if (this.#host.backend.compareIds(batch.lastId, this.#cursors[0]) <= 0) return;
    for (let i = 0; i < events.length && !this.#closed; i++) this.#emitIfNew(0, events[i], true);
  }

  #emitIfNew(index: number, event: PreparedEvent, fromFeed: boolean): boolean {
    if (!this.#synced[index]) {
      if (this.#host.backend.compareIds(event.id, this.#cursors[index]) <= 0) return false;
      // Later events of this feed all follow this one.
      if (fromFeed) this.#synced[index] = true;
    }
    this.#cursors[index] = event.id;
    const sink = this.#sink;
    if (this.#channels.length === 1) {
      if (sink !== undefined) sink.frame(event.singleFrame());
      else this.#out.next(event.single());
    } else {
      // Shared per position during a fan-out; the connection finds its cached frame.
      this.#out.next(event.withStreamId(this.#position()));
    }
    return true;
  }

  #position(): string {
    return this.#channels.length === 1 ? this.#cursors[0] : formatPositions(this.#tag, this.#cursors);
  }
}
