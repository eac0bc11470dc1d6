/** Where a source delivers what it produces. The connection implements it. */
export interface SourceSink {
  /** One value from the source (an event, or a value to send as `{ data: value }`). */
  next(value: unknown): void;
  /**
   * Already encoded wire bytes: whole blocks holding `events` events (an id-only anchor holds
   * none). The fast path of sources that encode for many connections at once (the hub's live
   * fan-out); the bytes are shared, never modified. The source says how many events they hold, as
   * it knows: the connection counts them without scanning the bytes.
   */
  frame(bytes: Uint8Array, events: number): void;
  /** The source failed; nothing more will come. */
  error(err: unknown): void;
  /** The source ended; nothing more will come. */
  complete(): void;
  /**
   * Backpressure for pull sources: `undefined` when the connection can take more now, otherwise a
   * promise that settles when it can (or when it has closed). Push sources ignore it.
   */
  ready(): Promise<void> | undefined;
  /**
   * Demand for sources that can hold back (the hub's subscriptions): how many more bytes the
   * connection takes before its high-water mark. At or below 0 the source stops pushing and waits
   * with `ready()`. Optional: a sink without it takes whatever comes.
   */
  demand?(): number;
  /** Bytes written but not yet taken by the client (queued plus buffered in the socket). */
  unsent?(): number;
  /**
   * The source has waited for the client to read and it made no progress for the source's allowed
   * time: close the stream as a slow client (`EVENTIDE_SLOW_CLIENT`).
   */
  stalled?(): void;
}

/** One running subscription to whatever a handler returned. */
export interface StreamSource {
  /** Starts producing into `sink`. Called once. */
  start(sink: SourceSink): void;
  /** Tears the source down: unsubscribe, `return()` or `cancel()`. Safe to call more than once. */
  stop(): void;
}

/**
 * The key of an internal fast path: an object (e.g. a hub subscription Observable) with a method
 * under this symbol makes its own StreamSource, which may write encoded frames straight to the
 * connection instead of going through per-event Observable plumbing. Operators applied by the user
 * return ordinary Observables, which take the ordinary path.
 */
export const FRAME_SOURCE: unique symbol = Symbol.for('eventide.frame-source');

/** An object offering the fast path. */
export interface FrameSourceProvider {
  [FRAME_SOURCE](): StreamSource;
}
