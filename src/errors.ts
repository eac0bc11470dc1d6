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
  /**
   * Headers of the error answer (e.g. `WWW-Authenticate`, `Retry-After`, `Link`). The answer drops
   * what the handler set for its stream; these are sent with it. Names and values are checked here.
   */
  headers?: Readonly<Record<string, string>>;
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
  /** Headers the error answer carries (see {@link EventideErrorOptions.headers}). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: EventideErrorCode, message: string, options: EventideErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EventideError';
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = options.expose ?? code === 'EVENTIDE_HTTP';
    this.headers = options.headers === undefined ? undefined : checkedHeaders(options.headers);
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
 * // With headers on the answer:
 * throw httpError(401, 'sign in first', { headers: { 'WWW-Authenticate': 'Bearer' } });
 * ```
 */
export function httpError(status: number, message: string, options: { headers?: Readonly<Record<string, string>> } = {}): EventideError {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new EventideError(
      'EVENTIDE_INVALID_OPTION',
      `httpError(status) takes an integer from 400 to 599, got ${String(status)}`,
    );
  }
  return new EventideError('EVENTIDE_HTTP', message, { status, expose: true, headers: options.headers });
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A field value: visible ASCII, Latin-1 and inner spaces or tabs; no CR, LF or NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function checkedHeaders(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (headers === null || typeof headers !== 'object') {
    throw new EventideError('EVENTIDE_INVALID_OPTION', 'error headers must be an object of header names to string values');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) throw new EventideError('EVENTIDE_INVALID_OPTION', `error header name ${JSON.stringify(name)} is not an HTTP token`);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      throw new EventideError('EVENTIDE_INVALID_OPTION', `error header ${name} must be a string without CR, LF or NUL, got ${JSON.stringify(value)}`);
    }
    out[name] = value;
  }
  return Object.freeze(out);
}

/** True when `value` is an {@link EventideError}, optionally with the given code. */
export function isEventideError(value: unknown, code?: EventideErrorCode): value is EventideError {
  return value instanceof EventideError && (code === undefined || value.code === code);
}
