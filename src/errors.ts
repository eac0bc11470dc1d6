/**
 * Every error eventide throws or reports is an {@link EventideError} with a stable `code`.
 * The README's "Errors" table lists each code, what causes it and what to do about it.
 */

/** Stable error codes. They never change meaning; new ones may be added. */
export type EventideErrorCode =
  // protocol: refusing an event that cannot be written safely
  | 'EVENTIDE_INVALID_EVENT'
  // sources: a handler returned something that cannot be streamed
  | 'EVENTIDE_INVALID_SOURCE'
  // routing and application setup
  | 'EVENTIDE_INVALID_ROUTE'
  | 'EVENTIDE_INVALID_CONTROLLER'
  | 'EVENTIDE_INVALID_OPTION'
  // request handling
  | 'EVENTIDE_HTTP'
  | 'EVENTIDE_TOO_MANY_STREAMS'
  | 'EVENTIDE_SLOW_CLIENT'
  | 'EVENTIDE_STREAM_FAILED'
  | 'EVENTIDE_CLOSED'
  // hub and backends
  | 'EVENTIDE_INVALID_CHANNEL'
  | 'EVENTIDE_INVALID_LAST_EVENT_ID'
  | 'EVENTIDE_PUBLISH_FAILED'
  | 'EVENTIDE_BACKEND_UNAVAILABLE'
  | 'EVENTIDE_BACKEND_REJECTED'
  | 'EVENTIDE_EVENTS_MISSED'
  // client
  | 'EVENTIDE_CLIENT_BAD_RESPONSE'
  | 'EVENTIDE_CLIENT_NETWORK'
  | 'EVENTIDE_CLIENT_EVENT_TOO_LARGE';

/** Options accepted by {@link EventideError}. */
export interface EventideErrorOptions {
  /** HTTP status to answer with when this error ends a request (default 500). */
  status?: number;
  /**
   * Whether `message` may be shown to the client. Internal errors never are: the client sees a
   * generic message for them. Default: `true` for `EVENTIDE_HTTP`, `false` otherwise.
   */
  expose?: boolean;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The one error class of eventide. Check `code`, never the message.
 *
 * @example
 * ```ts
 * try { encodeEvent({ data: 'x', id: 'a\nb' }); }
 * catch (err) { if (err instanceof EventideError && err.code === 'EVENTIDE_INVALID_EVENT') ... }
 * ```
 */
export class EventideError extends Error {
  readonly code: EventideErrorCode;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: EventideErrorCode, message: string, options: EventideErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EventideError';
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = options.expose ?? code === 'EVENTIDE_HTTP';
  }
}

/**
 * Makes an error that a handler can throw to answer with an HTTP status and a message the
 * client may see.
 *
 * @example
 * ```ts
 * @Get('items/:id')
 * item(ctx: RequestContext) {
 *   const item = items.get(ctx.params.id);
 *   if (!item) throw httpError(404, `no item ${ctx.params.id}`);
 *   return item;
 * }
 * ```
 */
export function httpError(status: number, message: string): EventideError {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new EventideError(
      'EVENTIDE_INVALID_OPTION',
      `httpError(status) takes an integer from 400 to 599, got ${String(status)}`,
    );
  }
  return new EventideError('EVENTIDE_HTTP', message, { status, expose: true });
}

/** True when `value` is an {@link EventideError}, optionally with the given code. */
export function isEventideError(value: unknown, code?: EventideErrorCode): value is EventideError {
  return value instanceof EventideError && (code === undefined || value.code === code);
}
