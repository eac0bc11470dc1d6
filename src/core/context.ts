import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { EventideError } from '../errors.js';
import type { Exchange } from './exchange.js';
import type { LazyAbort } from './lazy-abort.js';

/**
 * What a handler knows of its request. With standard decorators it is the handler's one argument;
 * with `experimentalDecorators`, parameter decorators pick parts of it (and an undecorated method
 * receives it whole).
 *
 * `Req` and `Res` are the platform's own objects (`ctx.req`, `ctx.res`): node's by default; on the
 * fetch platform write `RequestContext<Request, undefined>` (exported as `WebRequestContext` by
 * `eventide/web`), over HTTP/2 `RequestContext<Http2ServerRequest, Http2ServerResponse>`.
 *
 * @example
 * ```ts
 * @Sse('rooms/:room')
 * room(ctx: RequestContext) {
 *   return hub.subscribe(ctx.params.room, { lastEventId: ctx.lastEventId });
 * }
 * ```
 */
export interface RequestContext<Req = IncomingMessage, Res = ServerResponse> {
  /** The request method, upper case. */
  readonly method: string;
  /** The parsed request URL (relative URLs resolved against the Host header). */
  readonly url: URL;
  /** Path parameters, e.g. `{ id: '7' }` for `/items/:id`. */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters; the first value of a repeated one (`url.searchParams` has them all). */
  readonly query: Readonly<Record<string, string>>;
  /** Request headers, lower-case names. */
  readonly headers: IncomingHttpHeaders;
  /**
   * The parsed body: JSON for `application/json`, text for `text/*`, bytes (Buffer) otherwise,
   * `undefined` when there is none. Guards run before the body is read: in a guard it is `undefined`.
   */
  readonly body: unknown;
  /**
   * The id of the last event the client saw: the `Last-Event-ID` header, or else a `lastEventId`
   * query parameter (for clients that cannot set headers). `undefined` when neither is present.
   */
  readonly lastEventId: string | undefined;
  /** Aborts when the client disconnects or the stream ends for any reason. */
  readonly signal: AbortSignal;
  /** The client's address: the peer's, or the one trusted proxies forwarded (see `trustProxy`). */
  readonly ip: string;
  /**
   * The platform's request object: Node's `IncomingMessage` on node:http, Express, Fastify and
   * NestJS; `Http2ServerRequest` (node:http2's compatibility API) over HTTP/2; the web `Request`
   * on the fetch platform.
   */
  readonly req: Req;
  /**
   * The platform's response object: Node's `ServerResponse` on node:http, Express, Fastify and
   * NestJS; `Http2ServerResponse` over HTTP/2; `undefined` on the fetch platform, whose Response
   * eventide builds. Prefer `status()` and `setHeader()`. A handler that writes the response through it
   * owns it: an ordinary route's return value is then ignored; a stream route's stream is written
   * after the handler's head if the handler left the response open, and not started if it ended it.
   */
  readonly res: Res;
  /** Sets the response status; possible until the stream opens (the handler's own turn). */
  status(code: number): this;
  /** Sets a response header; possible until the stream opens. */
  setHeader(name: string, value: string | number | readonly string[]): this;
}


function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of params) if (!(key in out)) out[key] = value;
  return out;
}

function invalidState(message: string): EventideError {
  return new EventideError('EVENTIDE_INVALID_OPTION', message);
}

/** What a context asks of its app, for what it works out only when asked (most streams never ask). */
export interface ContextHost {
  /** The client's address (trustProxy applied). */
  addressOf(exchange: Exchange): string;
  /** The origin relative targets resolve against (trustProxy applied). */
  originOf(exchange: Exchange): string;
  /** Hears errors thrown by the request's abort listeners. Callable unbound. */
  readonly report: (err: unknown, exchange: Exchange) => void;
}

/**
 * The request context over an Exchange; URL, query, client address and signal are made on first
 * use (streams rarely need them: the address alone costs a held connection its peer-name record).
 */
export class ExchangeContext implements RequestContext {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  #body: unknown = undefined;
  readonly #exchange: Exchange;
  readonly #abort: LazyAbort;
  readonly #host: ContextHost;
  #ip: string | undefined;
  #url: URL | undefined;
  #query: Record<string, string> | undefined;
  /** Headers set through the context, kept for a guard's refusal (WWW-Authenticate, Retry-After). */
  #headersSet: Record<string, string | number | readonly string[]> | undefined;

  constructor(exchange: Exchange, params: Record<string, string>, abort: LazyAbort, host: ContextHost) {
    this.#exchange = exchange;
    this.method = exchange.method;
    this.params = params;
    this.#abort = abort;
    this.#host = host;
  }

  get ip(): string {
    return (this.#ip ??= this.#host.addressOf(this.#exchange));
  }

  get body(): unknown {
    return this.#body;
  }

  /** The body, once read (guards run before it is). Internal. */
  provideBody(body: unknown): void {
    this.#body = body;
  }

  get url(): URL {
    if (this.#url) return this.#url;
    try {
      this.#url = new URL(this.#exchange.target, this.#host.originOf(this.#exchange));
    } catch {
      this.#url = new URL(this.#exchange.target, 'http://localhost');
    }
    return this.#url;
  }

  get query(): Readonly<Record<string, string>> {
    return (this.#query ??= firstValues(this.url.searchParams));
  }

  get headers(): IncomingHttpHeaders {
    return this.#exchange.headers;
  }

  get lastEventId(): string | undefined {
    const raw = this.#exchange.headers['last-event-id'];
    const header = Array.isArray(raw) ? raw[0] : raw;
    if (header !== undefined) return header;
    // Only parse the URL when there is a query at all.
    return this.#exchange.target.includes('?') ? (this.url.searchParams.get('lastEventId') ?? undefined) : undefined;
  }

  get signal(): AbortSignal {
    return this.#abort.signalFor(this.#host.report, this.#exchange);
  }

  get req(): IncomingMessage {
    return this.#exchange.nativeRequest as IncomingMessage;
  }

  get res(): ServerResponse {
    return this.#exchange.nativeResponse as ServerResponse;
  }

  status(code: number): this {
    if (!Number.isInteger(code) || code < 100 || code > 599) {
      throw invalidState(`status(code) takes an HTTP status from 100 to 599, got ${String(code)}`);
    }
    if (this.#exchange.headSent) throw invalidState('status() after the response started has no effect; set it before the stream opens');
    this.#exchange.statusCode = code;
    return this;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.#exchange.headSent) throw invalidState('setHeader() after the response started has no effect; set it before the stream opens');
    this.#exchange.setHeader(name, value);
    (this.#headersSet ??= {})[name] = value;
    return this;
  }

  /** Headers set through `setHeader()` so far. Internal. */
  headersSet(): Record<string, string | number | readonly string[]> | undefined {
    return this.#headersSet;
  }
}
