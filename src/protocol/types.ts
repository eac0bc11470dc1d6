/**
 * One server-sent event as a handler produces it: the shape NestJS's `@Sse` made familiar.
 *
 * - `data`: a string is sent as is (split into one `data:` line per line); anything else is
 *   JSON-encoded (objects, arrays, `null`) or stringified (numbers, booleans, bigints).
 * - `id`: sets the client's last event id (sent back as `Last-Event-ID` on reconnect). It must not
 *   contain CR, LF or NUL. An empty string resets the client's last event id.
 * - `type`: the event name (`event:` field); the client dispatches it to listeners of that name.
 *   It must not contain CR or LF. Absent or empty means `message`.
 * - `retry`: the reconnection time in milliseconds, a non-negative integer.
 */
export interface MessageEvent<T = string | object> {
  data: T;
  id?: string;
  type?: string;
  retry?: number;
}

/** One event as a client receives it after parsing: the fields WHATWG's `MessageEvent` carries. */
export interface ParsedEvent {
  /** The event name; `message` when the stream did not name one. */
  type: string;
  /** The data lines joined with `\n`. */
  data: string;
  /** The last event id seen so far on this stream, including this event's own `id` field. */
  lastEventId: string;
  /** This event's own `id` field, or `undefined` when the event had none. */
  id: string | undefined;
}
