// The structured operations events an app emits: streams opened, closed (with reason, duration and
// what they carried), refused, drains, and errors with their code. Metrics and users' loggers (pino
// or any) consume the same events; a listener that throws is reported and never affects a stream.
import type { CloseReason } from '../connection/connection.js';
import { EventideError } from '../errors.js';

/** Why a stream was refused with 503. */
export type RejectReason = 'limit' | 'draining' | 'closing';

/** One operations event. `route` is always the route pattern (`/rooms/:room`), never the raw path. */
export type OperationsEvent =
  | { readonly type: 'stream.opened'; readonly route: string; readonly address: string }
  | {
      readonly type: 'stream.closed';
      readonly route: string;
      readonly reason: CloseReason;
      /** How long the stream was open, in milliseconds. */
      readonly durationMs: number;
      /** Events written to it (comments not counted). */
      readonly events: number;
      /** Bytes written to it. */
      readonly bytes: number;
    }
  | { readonly type: 'stream.rejected'; readonly route: string; readonly address: string; readonly reason: RejectReason }
  | { readonly type: 'drain.started'; readonly streams: number; readonly withinMs: number }
  | { readonly type: 'drain.finished'; readonly durationMs: number; readonly streamsLeft: number }
  | {
      readonly type: 'error';
      /** The error's stable code: an `EventideError`'s code, else `EVENTIDE_UNHANDLED`. */
      readonly code: string;
      /** The route pattern, when the error belongs to an open stream. */
      readonly route?: string;
      readonly error: unknown;
    };

/** Hears operations events. */
export type OperationsListener = (event: OperationsEvent) => void;

/** The bounded code of an error: an EventideError's own code, else `EVENTIDE_UNHANDLED`. */
export function errorCode(err: unknown): string {
  return err instanceof EventideError ? err.code : 'EVENTIDE_UNHANDLED';
}

/** A set of listeners, each call guarded. Internal. */
export class OperationsEvents {
  readonly #listeners = new Set<OperationsListener>();
  readonly #onListenerError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  /** True when someone listens: emitters skip building events otherwise. */
  get active(): boolean {
    return this.#listeners.size > 0;
  }

  add(listener: OperationsListener): () => void {
    if (typeof listener !== 'function') {
      throw new EventideError('EVENTIDE_INVALID_OPTION', 'observe(listener) takes a function (event) => void');
    }
    // A wrapper per registration, so the same function added twice is removed once per call.
    const entry: OperationsListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(event: OperationsEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#onListenerError(err);
      }
    }
  }
}
