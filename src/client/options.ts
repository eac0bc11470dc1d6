// The options eventide's client takes beyond WHATWG's `EventSourceInit`, and their checking.
// Browser-safe: no `node:` imports.
import { EventideError } from '../errors.js';
import { defaultTransport, fetchTransport, type Transport } from './transport.js';

/**
 * When and how fast the client tries again. Every field is optional; without any, the client
 * behaves as the WHATWG text says: it reconnects after network loss or the end of the stream,
 * waiting the reconnection time (3000 ms, or what the server's `retry:` field set), and gives up
 * for good on any response that is not `200` with `Content-Type: text/event-stream`.
 *
 * @example
 * ```ts
 * new EventSource(url, { reconnect: { backoff: { maxDelay: 30_000 }, retryOnServerError: true } });
 * ```
 */
export interface ReconnectOptions {
  /** The reconnection time before the server sends `retry:`, in milliseconds (default 3000). */
  delay?: number;
  /**
   * Exponential backoff over consecutive failed attempts (default off: every wait is the
   * reconnection time). `true` means `{}`. The n-th consecutive failure waits
   * `min(maxDelay, delay * factor ** (n - 1))`, less a random share of up to `jitter` of it.
   * A connection that opens resets the count.
   */
  backoff?: boolean | BackoffOptions;
  /**
   * Try again after a 5xx response instead of failing (default `false`, as browsers do).
   * A function decides per status; `true` means any status from 500 to 599. A 204 always stops.
   */
  retryOnServerError?: boolean | ((status: number) => boolean);
  /**
   * Try again when the request fails before any response (connection refused, DNS, reset).
   * Default `true`, as the WHATWG text says; `false` fails the connection at once instead.
   */
  retryOnNetworkError?: boolean;
  /**
   * Consecutive failed attempts after which the client stops (readyState `CLOSED`, one last
   * `error` event). Default `Infinity`. A connection that opens resets the count.
   */
  maxAttempts?: number;
}

/** The shape of {@link ReconnectOptions.backoff}. */
export interface BackoffOptions {
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** The longest wait, in milliseconds (default 30000). */
  maxDelay?: number;
  /** Share of each wait, from 0 to 1, that is randomly taken off so clients spread out (default 0.5). */
  jitter?: number;
}

/**
 * The second argument of eventide's `EventSource`: WHATWG's `EventSourceInit` plus extensions.
 *
 * @example
 * ```ts
 * const es = new EventSource('https://api.example.com/chat', {
 *   method: 'POST',
 *   headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
 *   body: JSON.stringify({ prompt: 'hi' }),
 * });
 * ```
 */
export interface EventSourceOptions {
  /** [spec] Send cookies and credentials cross-origin (default `false`). */
  withCredentials?: boolean;
  /**
   * Extra request headers (default none). `Accept` and `Last-Event-ID` are set by the client. In a
   * browser, a header that is not CORS-safelisted (`Authorization`, custom ones) makes a cross-origin
   * request preflighted (see the README, "Cross-origin").
   */
  headers?: Record<string, string> | Headers | [string, string][];
  /** The HTTP method (default `GET`). */
  method?: string;
  /** The request body, sent again on every reconnect (default none). Use a string or bytes, not a stream. */
  body?: RequestInit['body'];
  /**
   * The `fetch` to use: inject one for tests, proxies or custom agents. Default: on Node, requests
   * go through node:http and node:https directly (cheaper per chunk than `fetch`'s web streams, and
   * without its body timeout); elsewhere through `globalThis.fetch`.
   */
  fetch?: typeof globalThis.fetch;
  /** Reconnection and retry policy (default: the WHATWG behaviour, see {@link ReconnectOptions}). */
  reconnect?: ReconnectOptions;
  /** Aborting this signal closes the event source, as `close()` does (default none). */
  signal?: AbortSignal;
  /**
   * The largest line and the largest data of one event, in UTF-16 code units (default 16 MiB).
   * A bigger event is dropped (not dispatched) and the stream goes on: memory stays bounded.
   */
  maxEventSize?: number;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  withCredentials: boolean;
  headers: [string, string][];
  method: string;
  body: EventSourceOptions['body'];
  fetch: typeof globalThis.fetch;
  /** How each attempt is made: over `fetch`, or the platform's own default. */
  transport: Transport;
  delay: number;
  backoff: Required<BackoffOptions> | undefined;
  retryOnStatus: (status: number) => boolean;
  retryOnNetworkError: boolean;
  maxAttempts: number;
  signal: AbortSignal | undefined;
  maxEventSize: number | undefined;
}

function invalid(message: string): EventideError {
  return new EventideError('EVENTIDE_INVALID_OPTION', message);
}

function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw invalid(`EventSource option ${name} must be a number >= 0, got ${String(value)}`);
  }
  return value;
}

/** Checks the options and fills in defaults; throws `EVENTIDE_INVALID_OPTION` on a bad one. */
export function resolveOptions(options: EventSourceOptions = {}): ResolvedOptions {
  const reconnect = options.reconnect ?? {};
  const given = options.fetch ?? globalThis.fetch;
  const platform = options.fetch === undefined ? defaultTransport() : undefined;
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw invalid(`EventSource option fetch must be a function, got ${typeof options.fetch}`);
  }
  if (typeof given !== 'function' && platform === undefined) {
    throw invalid('EventSource needs fetch: pass options.fetch on a runtime without a global fetch');
  }
  // Browsers throw "Illegal invocation" when fetch is called with another `this`: call it bare.
  const fetchImpl: typeof globalThis.fetch = (input, init) => given(input, init);
  let backoff: Required<BackoffOptions> | undefined;
  if (reconnect.backoff) {
    const b = reconnect.backoff === true ? {} : reconnect.backoff;
    const jitter = nonNegative(b.jitter, 'reconnect.backoff.jitter', 0.5);
    if (jitter > 1) throw invalid(`EventSource option reconnect.backoff.jitter must be from 0 to 1, got ${jitter}`);
    const factor = nonNegative(b.factor, 'reconnect.backoff.factor', 2);
    if (factor < 1) throw invalid(`EventSource option reconnect.backoff.factor must be >= 1, got ${factor}`);
    backoff = { factor, jitter, maxDelay: nonNegative(b.maxDelay, 'reconnect.backoff.maxDelay', 30_000) };
  }
  const onServerError = reconnect.retryOnServerError ?? false;
  const retryOnStatus =
    typeof onServerError === 'function'
      ? onServerError
      : (status: number) => onServerError && status >= 500 && status <= 599;
  const method = options.method ?? 'GET';
  if (typeof method !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) {
    throw invalid(`EventSource option method must be an HTTP method token, got ${String(method)}`);
  }
  return {
    withCredentials: Boolean(options.withCredentials),
    headers: [...new Headers(options.headers ?? [])],
    method: method.toUpperCase(),
    body: options.body ?? null,
    fetch: fetchImpl,
    transport: platform ?? fetchTransport(fetchImpl),
    delay: nonNegative(reconnect.delay, 'reconnect.delay', 3000),
    backoff,
    retryOnStatus,
    retryOnNetworkError: reconnect.retryOnNetworkError ?? true,
    maxAttempts: nonNegative(reconnect.maxAttempts, 'reconnect.maxAttempts', Infinity),
    signal: options.signal,
    maxEventSize: options.maxEventSize === undefined ? undefined : nonNegative(options.maxEventSize, 'maxEventSize', 0),
  };
}

/**
 * The wait before attempt number `failures + 1`, in milliseconds.
 * `failures` counts consecutive failed attempts (0 after a clean end of an open stream).
 */
export function reconnectDelay(
  reconnectionTime: number,
  failures: number,
  backoff: Required<BackoffOptions> | undefined,
  random: () => number = Math.random,
): number {
  if (!backoff) return reconnectionTime;
  const grown = Math.min(backoff.maxDelay, reconnectionTime * backoff.factor ** Math.max(0, failures - 1));
  return grown * (1 - backoff.jitter * random());
}
