// The public shapes of the hub: options, the events a subscription emits, and reserved types.
import type { MessageEvent } from '../protocol/types.js';
import type { HubBackend } from './backend.js';

/**
 * The `type` of the gap signal: events were missed and the application should reload its state.
 *
 * @example
 * ```js
 * eventSource.addEventListener('eventide-gap', () => reloadState());
 * ```
 */
export const GAP_EVENT_TYPE = 'eventide-gap';

/**
 * The `type` of an anchor: the frame that gives a new stream its position before any event
 * arrives, a lone `id:` line that clients record without dispatching anything. Anchors exist only
 * on the wire: the connection writes them, and no Observable subscriber ever receives one.
 */
export const ANCHOR_EVENT_TYPE = 'eventide-anchor';

/** History kept per channel. An event goes when either bound drops it. */
export interface HubHistoryOptions {
  /** Most events kept per channel (default 1,000; 0 keeps none, so nothing can be replayed). */
  maxEvents?: number;
  /** Age past which an event is dropped, in milliseconds (default 3,600,000: one hour). */
  maxAgeMs?: number;
}

/** Options of `new Hub()`. */
export interface HubOptions {
  /** Where events are stored and how they travel (default: a new in-memory backend). */
  backend?: HubBackend;
  /** History kept per channel (defaults: 1,000 events, one hour). */
  history?: HubHistoryOptions;
  /**
   * Hears of backend trouble that no caller can be told of (a live feed that failed and is
   * retrying). Default: `process.emitWarning`.
   */
  onError?: (error: Error, channel: string) => void;
  /**
   * How long a subscriber may wait for its client to read without the client taking a single
   * byte, in milliseconds, before its connection is closed as a slow client (default 30,000;
   * 0 never closes). A client that reads, however far behind, is never closed: the subscription
   * pauses at the connection's high-water mark and catches up from the history.
   */
  stallTimeoutMs?: number;
}

/** Options of `hub.subscribe()`. */
export interface SubscribeOptions {
  /**
   * Where the client stands: the `Last-Event-ID` it sent (`ctx.lastEventId` in a route). Events
   * after it are replayed before live ones. Absent or empty: the stream starts at the present.
   */
  lastEventId?: string | null;
  /**
   * Whether a stream that has nothing to send yet starts with an anchor (default `true`): a frame
   * holding only `id:`, so that a client that disconnects before the first event still resumes
   * from where it subscribed. The connection writes it on the wire; operators never see it.
   */
  anchor?: boolean;
}

/**
 * An event emitted by `hub.subscribe()`. Frozen: it may be shared by every subscriber of a channel.
 * `id` is the stream position to resume from; `channel` tells which channel it was published to
 * (absent on gap signals and anchors). `data` is the published value (JSON values come back as
 * equal, deeply frozen values; bigints come back as strings).
 */
export interface HubEvent<T = unknown> extends MessageEvent<T> {
  readonly id: string;
  readonly channel?: string;
}

/** The `data` of a gap signal (an event of type {@link GAP_EVENT_TYPE}). */
export interface GapSignalData {
  /** The channels whose events after the client's position could not all be replayed. */
  readonly channels: readonly string[];
  /** What the client sent as its last event id (at most 200 characters of it), or `null`. */
  readonly lastEventId: string | null;
}
