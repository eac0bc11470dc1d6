// The public shapes around eventide's EventSource: what handlers see as `this`, and the event map.
// Browser-safe: no `node:` imports.

/**
 * The public shape of an event source, as event handlers see `this`. Structural, so that the
 * browser's own `EventSource` fits it too.
 */
export interface EventSourceLike extends EventTarget {
  readonly url: string;
  readonly withCredentials: boolean;
  readonly readyState: number;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  close(): void;
}

/** An `onopen` / `onmessage` / `onerror` handler. */
export type EventSourceHandler<E extends Event> = ((this: EventSourceLike, event: E) => any) | null;

/** The events an event source fires under fixed names; named stream events are `MessageEvent`s too. */
export interface EventSourceEvents {
  open: Event;
  message: MessageEvent<string>;
  error: Event;
}
/** A listener for `addEventListener`, typed by event. */
export type EventSourceListener<E extends Event> = (this: EventSourceLike, event: E) => any;
