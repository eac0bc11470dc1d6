// The sink: the few operations a stream needs from whatever carries it (a node:http response, an
// HTTP/2 stream, a web ReadableStream). Coalescing, bounds, heartbeats and teardown live once, in
// the connection; a platform only adapts its transport to this interface.

/** Hears that a sink's transport closed (a connection: an object's method, no closure per stream). */
export interface SinkCloseListener {
  sinkClosed(): void;
}

/**
 * An abort reason made only when a signal needs it. Most streams end with no signal made and none
 * asked for later; an error made for each of them anyway captures a stack per ended stream, paid
 * thousands of times at once in a drain or a reconnect storm. It is made once per stream that needs
 * it, so each signal still has an error of its own.
 */
export class DeferredReason {
  constructor(readonly make: () => unknown) {}
}

/** Where a connection writes. Implemented once per platform. */
export interface Sink {
  /**
   * Sends the status line and headers now, with `first`, the stream's first bytes, when there are
   * some (one write on the wire where the transport can: the head and the first events of a stream,
   * or its anchor, leave together). The stream is open. Called once, before any other write.
   */
  open(first?: Uint8Array): void;
  /** Writes bytes; `false` when the transport is past its high-water mark (wait for drain). */
  write(chunk: Uint8Array): boolean;
  /** Bytes accepted by `write` that the transport has not handed to the client yet. */
  readonly buffered: number;
  /** True while the transport wants no more writes until it drains. */
  readonly needsDrain: boolean;
  /** Registers the one drain listener (called every time the transport drains). */
  onDrain(listener: () => void): void;
  /** Registers the one close listener: the transport closed (client gone, or after end/destroy). */
  onClose(listener: SinkCloseListener): void;
  /** Ends the response cleanly after what was written. */
  end(): void;
  /** Before `open()`: answers an ordinary HTTP error response for `err` instead of the stream. */
  fail(err: unknown): void;
  /** Cuts the transport at once (slow client, failure). */
  destroy(): void;
  /**
   * The stream ended: aborts the request's signal with `reason` (see LazyAbort; the signal may be
   * made lazily, and a {@link DeferredReason} is made only if a signal needs it). Called once, at
   * the connection's teardown.
   */
  abort(reason: unknown): void;
  /**
   * The exchange this sink answers: the app's hooks, shared by every stream, find the request
   * through it. On node:http the exchange is the sink and its abort state too: a connection keeps
   * one reference for all three.
   */
  readonly owner: unknown;
}
