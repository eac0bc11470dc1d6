// One subscriber of a hub: a cursor into each of its channels' histories.
//
// A subscription is live (feed events are pushed to its output as they arrive) while its output
// has demand. When the output cannot take more, it stops pushing and keeps only its cursors; once
// the output drains, it reads from the backend after them, one bounded slice at a time, and when a
// read reaches the head it rejoins the live feed. The handoff is gapless and free of duplicates:
// before the last read it holds the feed's events, and emits only what lies past each cursor.
// A lagging subscriber costs its cursors, whatever the size of the burst it is behind; it loses
// events only when its cursor falls out of the retained history, and then emits the gap signal
// there. What the output is (a connection's frames, an rxjs Subscriber) is outputs.ts's business.
import type { HubBackend, ReadResult, StoredEvent } from './backend.js';
import { laterId, type ChannelFeed, type FeedBatch, type FeedSubscriber } from './feed.js';
import { channelSetTag, describeLastEventId, formatPositions, parsePositions } from './ids.js';
import type { PreparedEvent } from './prepared.js';
import { GAP_EVENT_TYPE, type GapSignalData, type HubEvent } from './types.js';

/** Most events one catch-up read asks a backend for. */
export const CATCH_UP_SLICE = 256;

/** About how many bytes of events one catch-up read asks for (fewer events when they are large). */
export const CATCH_UP_SLICE_BYTES = 512 * 1024;

/** Bytes of catch-up emitted per turn of the event loop to a subscriber that has no demand of its own. */
export const REPLAY_SLICE_BYTES = 64 * 1024;

/**
 * Bytes of live events a subscription holds while it hands over from reading to live. Past it, it
 * drops them and goes on reading: what it holds stays bounded however fast the channel is.
 */
export const MAX_HELD_BYTES = 1024 * 1024;

/** What a subscription needs of its hub. */
export interface SubscriptionHost {
  readonly backend: HubBackend;
  /** Milliseconds a waiting output may make no progress before it is closed as slow (0: never). */
  readonly stallTimeoutMs: number;
  acquireFeed(channel: string): ChannelFeed;
  releaseFeed(feed: ChannelFeed): void;
  /** Hears a failure that ended one subscription (a throwing subscriber, a failed read). */
  report(error: unknown, channels: readonly string[]): void;
  /** Counts subscriptions behind the live feed: +1 when one falls behind, -1 when it is live again or closes. */
  countLagging(delta: 1 | -1): void;
  /** Starts `subscription` as one of the hub's open ones; the error to end it with when the hub is closed. */
  open(subscription: HubSubscription, lastEventId: unknown, anchor: boolean): Error | undefined;
  /** Ends a subscription, started or not, and forgets it (idempotent). */
  close(subscription: HubSubscription): void;
}

/** Where a subscription delivers, and how much it may deliver now. */
export interface SubscriptionOutput {
  /** True when a single-channel stream takes each turn's live events at once (a {@link FeedBatch}). */
  readonly batched: boolean;
  /** True when `batch()` writes a batch as its shared joined bytes; otherwise its events go out one by one. */
  readonly joins: boolean;
  /** True when `demand()` reflects a real consumer; otherwise long catch-ups yield between slices. */
  readonly paced: boolean;
  /** One event of the stream; `streamId` is set on multi-channel streams. */
  event(event: PreparedEvent, streamId: string | undefined): void;
  /** A turn's live events of a single-channel stream, when `batched` and `joins`. */
  batch(batch: FeedBatch): void;
  /** A gap signal (visible to every kind of subscriber). */
  signal(event: HubEvent): void;
  /** The stream's position before any event: written on the wire only, never emitted. */
  anchor(streamId: string): void;
  error(err: unknown): void;
  complete(): void;
  /** Bytes the consumer takes before it must wait (<= 0: wait with `ready()`). */
  demand(): number;
  /** Settles when the consumer may take more, or has gone. */
  ready(): Promise<void> | undefined;
  /** Bytes given to the consumer and not yet taken, if it can tell (the stall probe). */
  unsent(): number | undefined;
  /** The consumer took nothing for the stall timeout: close it as slow. */
  stalled(): void;
}

interface Held {
  index: number;
  // `null` marks where the backend lost events (a gap signal).
  event: PreparedEvent | null;
}

// Bits of a subscription's #flags.
const LIVE = 1;
const CATCHING_UP = 2;
const EMITTED = 4;
const CLOSED = 8;
const LAGGING = 16;
// A single-channel subscription's "synced" (see #synced), kept here rather than in an array.
const SYNCED = 32;

const NO_FEEDS: readonly ChannelFeed[] = [];
const NO_EVENTS: readonly StoredEvent[] = [];

/** At most this many events are emitted one by one between two readings of the output's demand. */
const DEMAND_EVERY = 8;
/**
 * The feeds list of the last single-channel subscription: the next one of the same channel shares
 * it (a list is never changed). Dropped once its feed has no subscriber left, so it keeps no
 * stopped feed alive.
 */
let lastSingleFeeds: readonly ChannelFeed[] = NO_FEEDS;

/**
 * One subscriber's stream: its channels, cursors and the read-to-live handoff. Internal. It is its
 * feeds' subscriber itself, and its per-channel arrays are sized exactly, and left out for a single
 * channel: every held stream has one.
 */
export class HubSubscription implements FeedSubscriber {
  readonly #host: SubscriptionHost;
  readonly #channels: readonly string[];
  readonly #tag: string;
  readonly #out: SubscriptionOutput;
  #feeds: readonly ChannelFeed[] = NO_FEEDS;
  /**
   * Per channel: the newest event emitted (or the position the stream started from). A single
   * channel's cursor is the string itself: no array per held stream.
   */
  #cursors: string[] | string;
  /**
   * Per channel: live and past the handoff, so every feed event is new (no comparison).
   * `undefined` for a single channel, whose flag is the SYNCED bit of #flags.
   */
  readonly #synced: boolean[] | undefined;
  /** Per channel: the cursor at which a gap was last signalled, so it is signalled once (made at the first gap). */
  #gapAt: (string | undefined)[] | undefined;
  /** Live events held while the subscription hands over to live; `undefined` when not holding. */
  #buffer: Held[] | undefined;
  #heldBytes = 0;
  #eventBytes = 1024;
  // Five booleans in one number (every held stream has them): live; catching up; emitted anything;
  // closed; lagging (fell behind the live feed and has not rejoined it, counted by the hub).
  #flags = 0;

  /**
   * @param output - where it delivers; left out by a subclass that is its own output (the fast
   *   path's FrameSubscription: one object per held stream rather than two).
   */
  constructor(host: SubscriptionHost, channels: readonly string[], output?: SubscriptionOutput) {
    this.#host = host;
    this.#channels = channels;
    this.#tag = channels.length > 1 ? channelSetTag(channels) : '';
    this.#out = output ?? (this as unknown as SubscriptionOutput);
    this.#cursors = channels.length === 1 ? '' : channels.map(() => '');
    this.#synced = channels.length === 1 ? undefined : channels.map(() => false);
  }

  #is(bit: number): boolean {
    return (this.#flags & bit) !== 0;
  }

  #mark(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }

  #cursor(index: number): string {
    const cursors = this.#cursors;
    return typeof cursors === 'string' ? cursors : cursors[index];
  }

  #setCursor(index: number, cursor: string): void {
    if (typeof this.#cursors === 'string') this.#cursors = cursor;
    else this.#cursors[index] = cursor;
  }

  #isSynced(index: number): boolean {
    const synced = this.#synced;
    return synced === undefined ? (this.#flags & SYNCED) !== 0 : synced[index];
  }

  #setSynced(index: number): void {
    if (this.#synced === undefined) this.#flags |= SYNCED;
    else this.#synced[index] = true;
  }

  #unsync(): void {
    if (this.#synced === undefined) this.#flags &= ~SYNCED;
    else this.#synced.fill(false);
  }

  get closed(): boolean {
    return this.#is(CLOSED);
  }

  /** The hub (for a subclass: the fast path opens and closes itself through it). */
  protected get host(): SubscriptionHost {
    return this.#host;
  }

  /** Attaches to the feeds now (holding what they deliver), then reads its start and goes live. */
  open(lastEventId: unknown, anchor: boolean): void {
    this.#buffer = [];
    const batched = this.#out.batched && this.#channels.length === 1;
    const host = this.#host;
    if (this.#channels.length === 1) {
      const feed = host.acquireFeed(this.#channels[0]);
      this.#feeds = lastSingleFeeds[0] === feed ? lastSingleFeeds : (lastSingleFeeds = [feed]);
    } else {
      this.#feeds = this.#channels.map((channel) => host.acquireFeed(channel));
    }
    for (let index = 0; index < this.#feeds.length; index++) this.#feeds[index].attach(this, index, batched);
    this.#mark(CATCHING_UP, true);
    this.#begin(lastEventId, anchor).catch((err: unknown) => this.#fail(err));
  }

  /** Detaches from the feeds (idempotent). */
  close(): void {
    if (this.#is(CLOSED)) return;
    this.#mark(CLOSED, true);
    this.#setLagging(false);
    this.#buffer = undefined;
    const feeds = this.#feeds;
    this.#feeds = NO_FEEDS;
    for (const feed of feeds) feed.detach(this);
    for (const feed of feeds) this.#host.releaseFeed(feed);
    // (Closed before it started, it has no feeds.)
    if (feeds !== NO_FEEDS && feeds === lastSingleFeeds && feeds[0].listenerCount === 0) lastSingleFeeds = NO_FEEDS;
  }

  // ---- FeedSubscriber (called per event per subscriber: no closure made per call) ----

  /** @internal */
  live(index: number, event: PreparedEvent): void {
    try {
      this.#onLive(index, event);
    } catch (err) {
      this.#fail(err);
    }
  }

  /** @internal */
  liveBatch(batch: FeedBatch): void {
    try {
      this.#onBatch(batch);
    } catch (err) {
      this.#fail(err);
    }
  }

  /** @internal */
  missed(index: number): void {
    this.#guard(() => this.#onMissed(index));
  }

  /** The hub is closing: closes, and completes the output. */
  hubClosed(): void {
    if (this.#is(CLOSED)) return;
    this.close();
    try {
      this.#out.complete();
    } catch (err) {
      this.#host.report(err, this.#channels);
    }
  }

  // ---- starting ----

  async #begin(lastEventId: unknown, anchor: boolean): Promise<void> {
    const { backend } = this.#host;
    // Every subscriber after a channel's first finds its feed following already: it does not wait,
    // nor make the promises of a wait (a burst of thousands of new streams makes them all at once,
    // and what lives across the backend read below is promoted by the collector on the way).
    // A subscriber that attached before any of its feeds followed has seen every event they
    // delivered, so it may start where they began (see #fromFeedStart): what this hub had finished
    // publishing when it subscribed is taken now, before the wait.
    let marks: string[] | undefined;
    if (!allReady(this.#feeds)) {
      if (noneReady(this.#feeds)) marks = this.#feeds.map((feed) => feed.publishedMark);
      await Promise.all(this.#feeds.map((feed) => feed.ready));
      if (this.#is(CLOSED)) return;
    }
    const channels = this.#channels;
    const asked = parsePositions(lastEventId, channels, this.#tag, (id) => backend.isValidId(id));
    const fromStart = asked === null && marks !== undefined ? await this.#fromFeedStart(marks) : undefined;
    if (this.#is(CLOSED)) return;
    // Without a position asked for, the stream starts where the feeds stand: what follows reaches
    // it through them, so it reads nothing (a burst of new streams costs the backend no read, and
    // this process no read's promises and buffers per stream).
    let reads: ReadResult[];
    if (fromStart !== undefined) reads = fromStart;
    else if (asked === null && allCurrent(this.#feeds)) reads = this.#feeds.map(atFeedPosition);
    else if (channels.length === 1) reads = [await backend.readAfter(channels[0], asked === null ? undefined : asked[0], CATCH_UP_SLICE)];
    else reads = await Promise.all(channels.map((channel, i) => backend.readAfter(channel, asked === null ? undefined : asked[i], CATCH_UP_SLICE)));
    if (this.#is(CLOSED)) return;
    const gapped: string[] = [];
    const replay = reads.map((read, i): ReadResult => {
      const position = asked === null ? undefined : asked[i];
      if (asked !== null && (position === undefined || !read.complete)) {
        // Unknown or trimmed: the client missed events we cannot give it. It restarts at the head.
        gapped.push(this.#channels[i]);
      }
      if (asked === null || position === undefined || !read.complete) {
        // Every event past the head reaches the feed after this read, so the buffer holds it.
        this.#setCursor(i, read.head);
        return { events: [], complete: true, head: read.head };
      }
      this.#setCursor(i, position);
      return read;
    });
    if (gapped.length > 0) this.#emitGap(gapped, describeLastEventId(lastEventId));
    if (this.#is(CLOSED)) return;
    // Nothing to replay (a new subscriber, or one at the head): the slice would emit nothing.
    const reachedHead = replay.some(hasEvents) ? await this.#emitSlice(replay) : true;
    if (this.#is(CLOSED)) return;
    this.#mark(CATCHING_UP, false);
    if (!reachedHead || !this.#handOff()) {
      this.#lag();
      return;
    }
    if (!this.#is(EMITTED) && anchor) {
      const position = this.#position();
      if (position !== lastEventId) this.#out.anchor(position);
    }
  }

  /**
   * Where a subscriber that attached before its feeds followed starts, without a head read of its
   * own, when each feed's follow is shown to miss nothing from where it began: there, or at the
   * newest event this hub had finished publishing when the subscriber attached (`marks`), if that
   * is later. Every event after that start reached the subscriber's buffer, so one published right
   * after the subscribe, before the stream got going, is not lost to it. Undefined otherwise.
   */
  async #fromFeedStart(marks: readonly string[]): Promise<ReadResult[] | undefined> {
    const feeds = this.#feeds;
    const checked = await Promise.all(feeds.map((feed) => feed.checked));
    if (!checked.every(Boolean)) return undefined;
    const { backend } = this.#host;
    return feeds.map((feed, i) => ({ events: NO_EVENTS, complete: true, head: laterId(backend, marks[i], feed.startHead) }));
  }

  // ---- reading from the backend ----

  /**
   * Reads after the cursors, slice by slice, while the output has demand, until a read reaches the
   * head; then hands over to the live feed. Runs once at a time.
   */
  async #catchUp(): Promise<void> {
    this.#mark(CATCHING_UP, true);
    this.#mark(LIVE, false);
    const out = this.#out;
    // The next slice is read while the connection drains, so that the client never waits for the
    // backend; a slice read before the feed was held cannot end the catch-up, a fresh one does.
    let prefetch: Promise<ReadResult[]> | undefined;
    try {
      while (!this.#is(CLOSED)) {
        if (out.demand() <= 0) {
          this.#buffer = undefined;
          if (out.paced) prefetch ??= this.#read();
          await this.#waitForDemand();
          continue;
        }
        // Hold the feed's events during the read: if it reaches the head, those past it are here.
        const holding = prefetch === undefined;
        if (this.#buffer === undefined) {
          this.#buffer = [];
          this.#heldBytes = 0;
        }
        const reads = await (prefetch ?? this.#read());
        prefetch = undefined;
        if (this.#is(CLOSED)) return;
        const reachedHead = await this.#emitSlice(reads);
        if (this.#is(CLOSED)) return;
        if (reachedHead && holding && this.#handOff()) return;
        if (!reachedHead) this.#buffer = undefined;
      }
    } finally {
      this.#mark(CATCHING_UP, false);
    }
  }

  /** Reads the next slice of every channel after its cursor. */
  #read(): Promise<ReadResult[]> {
    const limit = Math.max(16, Math.min(CATCH_UP_SLICE, Math.ceil(CATCH_UP_SLICE_BYTES / this.#eventBytes)));
    const { backend } = this.#host;
    const cursors = this.#channels.map((_, i) => this.#cursor(i));
    return Promise.all(
      this.#channels.map((channel, i) => {
        // Events the feed still holds need not travel again: a remote backend sends only their ids.
        // Asked only when the feed holds the cursor's own event (then it likely holds what follows);
        // a cursor in older history reads in full at once instead of asking twice.
        const known = this.#feeds[i].known;
        return backend.readAfter(channel, cursors[i], limit, known(cursors[i]) === undefined ? undefined : known);
      }),
    );
  }

  /**
   * Emits one slice of reads in stream order, gap signals first where a cursor fell out of the
   * history. True when every read reached its channel's head and all of it went out.
   */
  async #emitSlice(reads: readonly ReadResult[]): Promise<boolean> {
    const { backend } = this.#host;
    let reachedHead = true;
    // A read whose last event is not the head it saw stopped short (its slice was full). Across
    // channels, emit only up to the earliest end of such a slice; the rest comes with the next read.
    let cutoff = Infinity;
    const slice: { index: number; stored: StoredEvent }[] = [];
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i];
      const events = read.events;
      const last = events.at(-1);
      if (last !== undefined && backend.compareIds(last.id, read.head) < 0) {
        reachedHead = false;
        cutoff = Math.min(cutoff, last.time);
      }
      if (!read.complete) {
        const from = this.#cursor(i);
        // Nothing retained after the cursor: the stream stands at the head after the loss.
        if (events.length === 0 && backend.compareIds(read.head, from) > 0) this.#setCursor(i, read.head);
        const gapAt = (this.#gapAt ??= this.#channels.map(() => undefined));
        if (gapAt[i] !== from) {
          // The cursor fell out of the retained history: the gap signal goes here, then the rest.
          gapAt[i] = this.#cursor(i);
          this.#emitGap([this.#channels[i]], from);
          if (this.#is(CLOSED)) return false;
        }
      }
      for (const stored of events) slice.push({ index: i, stored });
    }
    if (this.#channels.length > 1) slice.sort((a, b) => a.stored.time - b.stored.time);
    const out = this.#out;
    let bytes = 0;
    for (const { index, stored } of slice) {
      if (stored.time > cutoff) break;
      if (out.demand() <= 0) return false;
      if (!out.paced && bytes >= REPLAY_SLICE_BYTES) {
        // A subscriber without demand of its own: the event loop gets a turn every slice.
        bytes = 0;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#is(CLOSED)) return false;
      }
      const event = this.#feeds[index].prepare(stored);
      if (this.#emitIfNew(index, event, false)) {
        bytes += event.body.length;
        // A running average of event sizes, for the size of the next read.
        this.#eventBytes += (event.body.length - this.#eventBytes) / 16;
      }
      if (this.#is(CLOSED)) return false;
    }
    return reachedHead;
  }

  /** Emits what the feed delivered during the last read; true when live, false when it must read again. */
  #handOff(): boolean {
    const buffer = this.#buffer;
    if (buffer === undefined) return false;
    const out = this.#out;
    // The buffer grows while it drains (a subscriber publishing from its handler).
    for (let i = 0; i < buffer.length; i++) {
      if (this.#is(CLOSED)) return false;
      const { index, event } = buffer[i];
      if (event === null) {
        this.#emitMissed(index);
        continue;
      }
      if (out.demand() <= 0 || this.#buffer === undefined) {
        this.#buffer = undefined;
        this.#unsync();
        return false;
      }
      this.#emitIfNew(index, event, true);
    }
    if (this.#is(CLOSED)) return false;
    this.#buffer = undefined;
    this.#heldBytes = 0;
    this.#mark(LIVE, true);
    this.#setLagging(false);
    return true;
  }

  #setLagging(lagging: boolean): void {
    if (this.#is(LAGGING) === lagging) return;
    this.#mark(LAGGING, lagging);
    this.#host.countLagging(lagging ? 1 : -1);
  }

  /** Waits for the output to want more; closes it as slow when it takes nothing for the stall timeout. */
  async #waitForDemand(): Promise<void> {
    const out = this.#out;
    const wait = out.ready();
    if (wait === undefined) {
      // The output says it is ready yet wants nothing: let a turn pass (its flush) and ask again.
      await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    const stallMs = this.#host.stallTimeoutMs;
    let timer: ReturnType<typeof setInterval> | undefined;
    if (stallMs > 0 && out.unsent() !== undefined) {
      let last = out.unsent()!;
      let lastProgress = Date.now();
      // Sampled four times per timeout: closed between 1x and 1.25x the timeout after its last read.
      timer = setInterval(
        () =>
          this.#guard(() => {
            const now = out.unsent() ?? 0;
            if (now < last) {
              last = now;
              lastProgress = Date.now();
            } else if (Date.now() - lastProgress >= stallMs && !this.#is(CLOSED)) {
              clearInterval(timer);
              out.stalled();
            }
          }),
        Math.max(1, Math.floor(stallMs / 4)),
      );
      timer.unref?.();
    }
    try {
      await wait;
    } finally {
      if (timer !== undefined) clearInterval(timer);
    }
  }

  // ---- live delivery ----

  /** Stops pushing: from now on the subscription keeps only its cursors and reads when drained. */
  #lag(): void {
    this.#mark(LIVE, false);
    this.#buffer = undefined;
    this.#heldBytes = 0;
    this.#unsync();
    if (this.#is(CLOSED)) return;
    this.#setLagging(true);
    if (this.#is(CATCHING_UP)) return;
    this.#catchUp().catch((err: unknown) => this.#fail(err));
  }

  #onLive(index: number, event: PreparedEvent): void {
    if (this.#is(CLOSED)) return;
    if (this.#is(LIVE)) {
      if (this.#out.demand() <= 0) this.#lag();
      else this.#emitIfNew(index, event, true);
    } else if (this.#buffer !== undefined) {
      this.#hold(index, event);
    }
    // Otherwise lagging: the cursor is all it keeps; the event will be read from the backend.
  }

  /**
   * The fast path's live delivery: a turn's events of the (only) channel. Only single-channel
   * subscriptions get batches, so the cursor is #cursors itself and "synced" the SYNCED bit; the
   * flags are tested inline, as this runs per subscriber per turn, in a fresh process before the
   * JIT has inlined anything.
   */
  #onBatch(batch: FeedBatch): void {
    const flags = this.#flags;
    if ((flags & CLOSED) !== 0) return;
    if ((flags & LIVE) === 0) {
      if (this.#buffer !== undefined) for (const event of batch.events) this.#hold(0, event);
      return;
    }
    const out = this.#out;
    // A batch that starts after the cursor makes every later feed event new: no more comparisons.
    if ((flags & SYNCED) === 0 && batch.startsAfter(this.#cursors as string, this.#host.backend)) this.#flags |= SYNCED;
    // The common case of the frame output: one shared buffer. The cursor moves first, since
    // writing may end the stream.
    if (out.joins && (this.#flags & SYNCED) !== 0) {
      const demand = out.demand();
      if (demand === Infinity || batch.fitsIn(demand)) {
        this.#flags |= EMITTED;
        this.#cursors = batch.lastId;
        out.batch(batch);
        return;
      }
    }
    this.#emitEach(batch.events, out);
  }

  /**
   * A batch's events one by one: an Observable output, or just caught up (part of the batch went
   * out already), or more than the output takes now. A method of its own: the optimising compiler
   * compiles it, with the operators' calls inlined, part way through a first burst, and a smaller
   * function than the whole batch handler costs it less (1.1 % fewer instructions in a first burst
   * through filter(), bench/fanout.mjs --callgrind).
   */
  #emitEach(events: readonly PreparedEvent[], out: SubscriptionOutput): void {
    // The output's demand is read before the first event, then less often while the events turn
    // out to cost no more than their own frames (pass-through operators such as filter): every
    // 2, 4, ... DEMAND_EVERY events, and always once their frames would have used it up. An
    // operator that makes events bigger (a map that adds to them) keeps it read before each event,
    // so the output never overshoots its mark by more than one event.
    // `demand` is the output's demand as last read, `spent` the frames' bytes emitted since.
    let demand = 0;
    let spent = 0;
    let every = 1;
    let untilCheck = 0;
    // Past the handoff every feed event is new: such events go out without #emitIfNew's
    // comparison, and the cursor moves once, to the last of them, before anything reads it (the
    // lag below, the end of the batch). Were an emission to throw, the subscription fails and
    // its cursor no longer matters.
    let lastSynced = -1;
    for (let i = 0; i < events.length && (this.#flags & CLOSED) === 0; i++) {
      const event = events[i];
      if (untilCheck === 0 || spent >= demand) {
        const now = out.demand();
        if (now <= 0) {
          if (lastSynced !== -1) this.#cursors = events[lastSynced].id;
          this.#lag();
          return;
        }
        if (spent > 0) every = demand - now <= spent ? Math.min(every * 2, DEMAND_EVERY) : 1;
        demand = now;
        spent = 0;
        untilCheck = every;
      }
      untilCheck--;
      spent += event.singleFrame().length;
      if ((this.#flags & SYNCED) !== 0) {
        if (lastSynced === -1) this.#flags |= EMITTED;
        lastSynced = i;
        out.event(event, undefined);
      } else this.#emitIfNew(0, event, true);
    }
    if (lastSynced !== -1) this.#cursors = events[lastSynced].id;
  }

  /** The backend lost events of a channel before this process read them: never a silent gap. */
  #onMissed(index: number): void {
    if (this.#is(CLOSED)) return;
    if (this.#is(LIVE)) this.#emitMissed(index);
    else if (this.#buffer !== undefined) this.#buffer.push({ index, event: null });
    // Lagging: its own read after the cursor will find the loss.
  }

  /** Holds a live event that arrived during the handoff; past the bound, goes back to reading. */
  #hold(index: number, event: PreparedEvent): void {
    // Dropped part way through a batch: the rest will be read from the backend too.
    if (this.#buffer === undefined) return;
    this.#buffer.push({ index, event });
    this.#heldBytes += event.body.length;
    if (this.#heldBytes > MAX_HELD_BYTES) {
      this.#buffer = undefined;
      this.#heldBytes = 0;
    }
  }

  // ---- emitting ----

  #emitIfNew(index: number, event: PreparedEvent, fromFeed: boolean): boolean {
    if (!this.#isSynced(index)) {
      if (this.#host.backend.compareIds(event.id, this.#cursor(index)) <= 0) return false;
      // Later events of this feed all follow this one.
      if (fromFeed) this.#setSynced(index);
    }
    this.#setCursor(index, event.id);
    this.#mark(EMITTED, true);
    // Shared per position during a fan-out; the connection finds its cached frame.
    this.#out.event(event, this.#channels.length === 1 ? undefined : this.#position());
    return true;
  }

  #emitMissed(index: number): void {
    this.#emitGap([this.#channels[index]], this.#position());
  }

  /** The gap signal: `channels` missed events after `lastEventId`; its id is the current position. */
  #emitGap(channels: string[], lastEventId: string | null): void {
    const data: GapSignalData = Object.freeze({ channels: Object.freeze(channels), lastEventId });
    this.#mark(EMITTED, true);
    this.#out.signal(Object.freeze({ type: GAP_EVENT_TYPE, data, id: this.#position() }));
  }

  #position(): string {
    const cursors = this.#cursors;
    return typeof cursors === 'string' ? cursors : formatPositions(this.#tag, cursors);
  }

  // ---- faults ----

  /** Runs a step that calls into user or backend code: a throw ends this subscription only. */
  #guard(step: () => void): void {
    try {
      step();
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    if (this.#is(CLOSED)) return;
    this.close();
    this.#host.report(err, this.#channels);
    try {
      this.#out.error(err);
    } catch (again) {
      this.#host.report(again, this.#channels);
    }
  }

}

/** Whether every feed follows its channel already. */
function allReady(feeds: readonly ChannelFeed[]): boolean {
  for (const feed of feeds) if (!feed.isReady) return false;
  return true;
}

function hasEvents(read: ReadResult): boolean {
  return read.events.length > 0;
}

/** Whether no feed follows its channel yet. */
function noneReady(feeds: readonly ChannelFeed[]): boolean {
  for (const feed of feeds) if (feed.isReady) return false;
  return true;
}

/** Whether a new subscriber may start at every feed's position (see ChannelFeed.current). */
function allCurrent(feeds: readonly ChannelFeed[]): boolean {
  for (const feed of feeds) if (!feed.current) return false;
  return true;
}

/** A start at the feed's position, as a read that found nothing after it. */
function atFeedPosition(feed: ChannelFeed): ReadResult {
  return { events: NO_EVENTS, complete: true, head: feed.position };
}
