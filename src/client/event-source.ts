// A WHATWG `EventSource` built on `fetch` (on Node, node:http: see transport.ts) and eventide's
// shared parser, for Node >= 20 and browsers.
// Follows HTML "Server-sent events" (section 9.2); `[spec]` marks the steps of that text.
// Browser-safe: no `node:` imports.
import { EventideError } from '../errors.js';
import { createParser, type Parser } from '../protocol/parse.js';
import type { ParsedEvent } from '../protocol/types.js';
import { baseUrl, describe, futileFailure, isAbort, isEventStream, needsPreflight, originOf, toByteString } from './http.js';
import { reconnectDelay, resolveOptions, type EventSourceOptions, type ResolvedOptions } from './options.js';
import { tapOf } from './tap.js';
import type { OpenedStream } from './transport.js';
import type { EventSourceEvents, EventSourceHandler, EventSourceListener } from './types.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

/**
 * The WHATWG `EventSource`, usable where `globalThis.EventSource` is expected, plus request
 * options browsers lack (headers, POST bodies, a custom `fetch`, a retry policy, an `AbortSignal`).
 *
 * Events are `MessageEvent`s with `data`, `origin` and `lastEventId`. Named events (`event: x`)
 * reach `addEventListener('x', ...)` only; unnamed ones reach `onmessage` too.
 *
 * @example
 * ```ts
 * import { EventSource } from 'eventide/client';
 * const es = new EventSource('http://localhost:3000/sse', { headers: { authorization: 'Bearer t' } });
 * es.onmessage = ({ data }) => console.log('New message', JSON.parse(data));
 * es.addEventListener('headline', (event) => console.log(event.data));
 * // later: es.close();
 * ```
 */
export class EventSource extends EventTarget {
  /** The state before the connection opens, and while waiting to reconnect. */
  static readonly CONNECTING = 0 as const;
  /** The state while the stream is open and events are delivered. */
  static readonly OPEN = 1 as const;
  /** The final state: after `close()`, or after the connection failed for good. */
  static readonly CLOSED = 2 as const;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSED: 2;

  readonly #url: string;
  readonly #withCredentials: boolean;
  readonly #options: ResolvedOptions;
  readonly #parser: Parser;
  readonly #handlers = new Map<string, { handler: Function; listener: EventListener }>();
  #readyState: number = CONNECTING;
  #reconnectionTime: number;
  #failures = 0; // consecutive failed attempts, reset when a connection opens
  #origin = '';
  #controller: AbortController | undefined;
  #stream: OpenedStream | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onAbort: (() => void) | undefined;

  /**
   * Opens a connection to `url` at once.
   * @param url - absolute, or relative to the page in a browser; otherwise throws a `SyntaxError` `DOMException`.
   * @param options - `withCredentials` (WHATWG) and eventide's extensions; throws `EVENTIDE_INVALID_OPTION` on a bad one.
   */
  constructor(url: string | URL, options: EventSourceOptions = {}) {
    super();
    // [spec] Let urlRecord be the result of encoding-parsing a URL given url, relative to settings.
    // [spec] If urlRecord is failure, then throw a "SyntaxError" DOMException.
    try {
      this.#url = new URL(String(url), baseUrl()).href;
    } catch {
      throw new DOMException(`EventSource: ${String(url)} is not a valid URL (relative URLs need a page)`, 'SyntaxError');
    }
    this.#options = resolveOptions(options);
    // [spec] If the value of eventSourceInitDict's withCredentials member is true, then set corsAttributeState
    // to Use Credentials and the new EventSource object's withCredentials attribute to true.
    this.#withCredentials = this.#options.withCredentials;
    this.#reconnectionTime = this.#options.delay;
    this.#parser = createParser({
      onEvent: (event) => this.#dispatchMessage(event),
      // [spec] If the field value consists of only ASCII digits, set the reconnection time to that integer.
      onRetry: (milliseconds) => {
        this.#reconnectionTime = milliseconds;
      },
      maxEventSize: this.#options.maxEventSize,
      // Browsers have no such limit to report; the source drops the event and goes on.
      onError: (error) => {
        if (this.#readyState !== CLOSED) {
          tapOf(this)?.dropped?.(new EventideError('EVENTIDE_CLIENT_EVENT_TOO_LARGE', `${error.message} (raise maxEventSize to accept it)`, { status: 502 }));
        }
      },
    });
    const signal = this.#options.signal;
    if (signal?.aborted) {
      this.#readyState = CLOSED;
      return;
    }
    if (signal) {
      this.#onAbort = () => this.close();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    this.#connect();
  }

  /** The resolved URL of the stream. */
  get url(): string {
    return this.#url;
  }

  /** Whether cross-origin requests carry credentials (`withCredentials` option, default `false`). */
  get withCredentials(): boolean {
    return this.#withCredentials;
  }

  /** `CONNECTING` (0), `OPEN` (1) or `CLOSED` (2). */
  get readyState(): number {
    return this.#readyState;
  }

  /** Called when a connection opens. */
  get onopen(): EventSourceHandler<Event> {
    return this.#getHandler('open');
  }
  set onopen(handler: EventSourceHandler<Event>) {
    this.#setHandler('open', handler);
  }

  /** Called for each event of type `message` (events with no `event:` field). */
  get onmessage(): EventSourceHandler<MessageEvent> {
    return this.#getHandler('message');
  }
  set onmessage(handler: EventSourceHandler<MessageEvent>) {
    this.#setHandler('message', handler);
  }

  /** Called when the connection is lost (readyState `CONNECTING`) or fails for good (`CLOSED`). */
  get onerror(): EventSourceHandler<Event> {
    return this.#getHandler('error');
  }
  set onerror(handler: EventSourceHandler<Event>) {
    this.#setHandler('error', handler);
  }

  /**
   * Listens to `open`, `error`, `message` or a named event (the stream's `event:` field).
   * Named and `message` events are `MessageEvent`s whose `data` is a string.
   */
  override addEventListener<K extends keyof EventSourceEvents>(
    type: K,
    listener: EventSourceListener<EventSourceEvents[K]>,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(type: string, listener: EventSourceListener<MessageEvent<string>>, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(type: string, listener: any, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener, options);
  }

  /** Removes a listener added with `addEventListener`. */
  override removeEventListener<K extends keyof EventSourceEvents>(
    type: K,
    listener: EventSourceListener<EventSourceEvents[K]>,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(type: string, listener: EventSourceListener<MessageEvent<string>>, options?: boolean | EventListenerOptions): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(type: string, listener: any, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener, options);
  }

  /** Closes the stream at once: the request is aborted, no event fires and no reconnect follows. */
  close(): void {
    // [spec] Abort any instances of the fetch algorithm started for this EventSource object,
    // and set the readyState attribute to CLOSED.
    this.#readyState = CLOSED;
    this.#stop();
  }

  #getHandler<E extends Event>(type: string): EventSourceHandler<E> {
    return (this.#handlers.get(type)?.handler as EventSourceHandler<E>) ?? null;
  }

  // [spec] Event handler IDL attributes: the listener is added when the handler is first set to a
  // function, so its place among other listeners is the time of that first assignment.
  #setHandler(type: string, handler: unknown): void {
    const entry = this.#handlers.get(type);
    if (typeof handler !== 'function') {
      if (entry) {
        this.removeEventListener(type, entry.listener);
        this.#handlers.delete(type);
      }
      return;
    }
    if (entry) {
      entry.handler = handler;
      return;
    }
    const created = {
      handler,
      listener: (event: Event) => {
        created.handler.call(this, event);
      },
    };
    this.#handlers.set(type, created);
    this.addEventListener(type, created.listener);
  }

  #stop(): void {
    this.#controller?.abort();
    this.#controller = undefined;
    // A transport that ignores the signal still has its body cancelled.
    this.#stream?.cancel();
    this.#stream = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
  }

  #dispatchMessage(parsed: ParsedEvent): void {
    // [spec] Queue a task which, if the readyState attribute is set to a value other than CLOSED,
    // dispatches the newly created event at the EventSource object.
    if (this.#readyState === CLOSED) return;
    // [spec] Initialize event's type to the event type buffer, data to the data buffer, origin to the
    // origin of the event stream's final URL, lastEventId to the last event ID string.
    const event = new MessageEvent<string>(parsed.type, {
      data: parsed.data,
      origin: this.#origin,
      lastEventId: parsed.lastEventId,
    });
    this.dispatchEvent(event);
    if (this.#readyState !== CLOSED) tapOf(this)?.event(event);
  }

  async #connect(): Promise<void> {
    const controller = new AbortController();
    this.#controller = controller;
    const current = () => this.#controller === controller;
    const { method, body } = this.#options;
    const headers = new Headers(this.#options.headers);
    // [spec] Set request's header list to (`Accept`, `text/event-stream`); cache mode "no-store".
    // `Accept` with this value is CORS-safelisted. No `Cache-Control` here: that header is not, and
    // would make every cross-origin stream a preflighted request. The "no-store" cache mode below has
    // fetch add `Cache-Control: no-cache` and `Pragma: no-cache` itself, after the CORS check, as
    // browsers do for their own EventSource.
    headers.set('accept', 'text/event-stream');
    // [spec] If the EventSource object's last event ID string is not the empty string, set
    // (`Last-Event-ID`, last event ID string, encoded as UTF-8) in request's header list.
    const lastEventId = this.#parser.lastEventId;
    if (lastEventId !== '') headers.set('last-event-id', toByteString(lastEventId));

    const credentials: RequestCredentials = this.#withCredentials ? 'include' : 'same-origin';
    let stream: OpenedStream;
    try {
      stream = await this.#options.transport({
        url: this.#url,
        method,
        headers,
        body: method === 'GET' || method === 'HEAD' ? null : body,
        signal: controller.signal,
        credentials,
      });
    } catch (error) {
      if (!current()) return;
      // [spec] If res is an aborted network error, then fail the connection. Our own aborts are
      // handled above; this is the user agent's, e.g. `window.stop()` in a page.
      if (isAbort(error)) {
        this.#fail(new EventideError('EVENTIDE_CLIENT_NETWORK', `EventSource ${this.#url}: the request was aborted (${describe(error)})`, { cause: error }));
        return;
      }
      // [spec] If res is a network error, then reestablish the connection, unless the user agent
      // knows that to be futile, in which case the user agent may fail the connection.
      const futile = await futileFailure({
        url: this.#url,
        fetch: this.#options.fetch,
        signal: controller.signal,
        credentials,
        preflighted: needsPreflight(method, headers),
      });
      if (!current()) return;
      if (futile !== undefined) {
        // As Chromium does: a URL that is not http(s), or a cross-origin answer refused by CORS,
        // fails the connection for good instead of being retried.
        this.#fail(new EventideError('EVENTIDE_CLIENT_NETWORK', `EventSource ${this.#url}: ${futile}; not retried`, { cause: error }));
        return;
      }
      const reason = new EventideError('EVENTIDE_CLIENT_NETWORK', `EventSource could not reach ${this.#url}: ${describe(error)}`, {
        cause: error,
      });
      this.#attemptFailed(reason, this.#options.retryOnNetworkError);
      return;
    }
    if (!current()) {
      stream.cancel();
      return;
    }
    const { status, contentType } = stream;
    // [spec] If res's status is not 200, or if res's `Content-Type` is not `text/event-stream`, then
    // fail the connection.
    if (status !== 200 || !isEventStream(contentType)) {
      stream.cancel();
      this.#badResponse(status, contentType);
      return;
    }
    // [spec] Announce the connection: if readyState is not CLOSED, set it to OPEN and fire `open`.
    this.#failures = 0;
    this.#origin = originOf(stream.url);
    this.#parser.reset();
    this.#readyState = OPEN;
    this.#stream = stream;
    this.dispatchEvent(new Event('open'));
    if (!current()) {
      stream.cancel();
      return;
    }
    try {
      await stream.read((chunk) => {
        if (!current()) return undefined;
        this.#parser.feed(chunk);
        if (!current()) return undefined;
        // Backpressure for events(): while its consumer is busy, the body is not read, so the
        // transport's flow control slows the server down instead of events piling up here.
        return tapOf(this)?.ready?.();
      });
    } catch {
      // [spec] Network loss while reading the body ends the stream; it is reestablished below.
    }
    if (!current()) return;
    this.#stream = undefined;
    this.#streamEnded();
  }

  #streamEnded(): void {
    // [spec] Once the end of the file is reached, any pending data must be discarded.
    this.#parser.end();
    // [spec] When a user agent is to reestablish the connection ... (network loss, end of body).
    this.#reestablish();
  }

  #badResponse(status: number, contentType: string | null): void {
    if (status === 204) {
      // [spec] HTTP 204 No Content fails the connection: the server asks the client to stop.
      this.#fail(undefined);
      return;
    }
    const what =
      status === 200
        ? `Content-Type ${contentType === null ? '(none)' : JSON.stringify(contentType)} instead of text/event-stream`
        : `HTTP status ${status}`;
    const reason = new EventideError('EVENTIDE_CLIENT_BAD_RESPONSE', `EventSource ${this.#url} answered with ${what}; the stream is not opened`, {
      status: status >= 400 ? status : 502,
    });
    this.#attemptFailed(reason, status !== 200 && this.#options.retryOnStatus(status));
  }

  #attemptFailed(reason: EventideError, retryable: boolean): void {
    this.#failures += 1;
    if (!retryable || this.#failures >= this.#options.maxAttempts) {
      this.#fail(reason);
      return;
    }
    this.#reestablish();
  }

  // [spec] When a user agent is to fail the connection, the user agent must queue a task which, if
  // the readyState attribute is set to a value other than CLOSED, sets the readyState attribute to
  // CLOSED and fires an event named error at the EventSource object.
  #fail(reason: EventideError | undefined): void {
    if (this.#readyState === CLOSED) return;
    this.#readyState = CLOSED;
    this.#stop();
    this.dispatchEvent(new Event('error'));
    tapOf(this)?.failed(reason);
  }

  #reestablish(): void {
    // [spec] 1. If the readyState attribute is set to CLOSED, abort these steps.
    if (this.#readyState === CLOSED) return;
    this.#controller = undefined;
    this.#stream = undefined;
    // [spec] 2. Set the readyState attribute to CONNECTING and fire an event named error.
    this.#readyState = CONNECTING;
    this.dispatchEvent(new Event('error'));
    if (this.#readyState !== CONNECTING) return;
    // [spec] 3. Wait a delay equal to the reconnection time of the event source.
    // [spec] 4. Optionally, wait some more: the opt-in backoff grows the wait over failed attempts.
    const wait = reconnectDelay(this.#reconnectionTime, this.#failures, this.#options.backoff);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // [spec] 6. If the EventSource object's readyState attribute is not set to CONNECTING, then return.
      if (this.#readyState !== CONNECTING) return;
      // [spec] 7-8. Fetch again, with Last-Event-ID when the last event ID string is not empty.
      void this.#connect();
    }, wait);
  }
}

Object.defineProperties(EventSource.prototype, {
  CONNECTING: { value: CONNECTING, enumerable: true },
  OPEN: { value: OPEN, enumerable: true },
  CLOSED: { value: CLOSED, enumerable: true },
});

