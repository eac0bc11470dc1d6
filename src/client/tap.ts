// How events() and fromEventSource() learn what the browser-shaped EventSource keeps to itself.
// Internal: not exported from the package. Browser-safe: no `node:` imports.
import type { EventideError } from '../errors.js';
import type { EventSource } from './event-source.js';

/** What a tap hears: every message whatever its type, and why the source stopped. */
export interface EventSourceTap {
  /** After listeners ran, for every dispatched message event. */
  event(event: MessageEvent<string>): void;
  /** The connection failed for good: `reason` is `undefined` when the server said stop with 204. */
  failed(reason: EventideError | undefined): void;
  /** An event passed `maxEventSize` and was dropped (the source itself goes on). */
  dropped?(reason: EventideError): void;
  /**
   * After each chunk of the body was parsed: a promise makes the source wait for it before reading
   * the next chunk (backpressure); `undefined` reads on at once.
   */
  ready?(): Promise<void> | undefined;
}
const taps = new WeakMap<EventSource, EventSourceTap>();

/** Internal: observes `source`. Call it before the first event can arrive (right after `new`). */
export function tapEventSource(source: EventSource, tap: EventSourceTap): void {
  taps.set(source, tap);
}

/** Internal: the tap of `source`, if any. */
export function tapOf(source: EventSource): EventSourceTap | undefined {
  return taps.get(source);
}
