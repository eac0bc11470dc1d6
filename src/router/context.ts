import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/**
 * What a handler knows of its request. With standard decorators it is the handler's one argument;
 * with `experimentalDecorators`, parameter decorators pick parts of it (and an undecorated method
 * receives it whole).
 *
 * @example
 * ```ts
 * @Sse('rooms/:room')
 * room(ctx: RequestContext) {
 *   return hub.subscribe(ctx.params.room, { lastEventId: ctx.lastEventId });
 * }
 * ```
 */
export interface RequestContext {
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
   * `undefined` when there is none.
   */
  readonly body: unknown;
  /**
   * The id of the last event the client saw: the `Last-Event-ID` header, or else a `lastEventId`
   * query parameter (for clients that cannot set headers). `undefined` when neither is present.
   */
  readonly lastEventId: string | undefined;
  /** Aborts when the client disconnects or the stream ends for any reason. */
  readonly signal: AbortSignal;
  /** Node's request object. */
  readonly req: IncomingMessage;
  /** Node's response object. Prefer `status()` and `setHeader()`, which respect the stream's state. */
  readonly res: ServerResponse;
  /** Sets the response status; possible until the stream opens (the handler's own turn). */
  status(code: number): this;
  /** Sets a response header; possible until the stream opens. */
  setHeader(name: string, value: string | number | readonly string[]): this;
}

/** The request target split once: path for routing; URL and query parsed only when asked for. */
export function pathOf(rawUrl: string): string | undefined {
  // Origin-form targets without dot segments (nearly all) need no URL parser; others get one.
  if (rawUrl.startsWith('/') && !rawUrl.includes('/.') && !rawUrl.startsWith('//')) {
    const q = rawUrl.indexOf('?');
    const h = rawUrl.indexOf('#');
    const end = q === -1 ? (h === -1 ? rawUrl.length : h) : h === -1 ? q : Math.min(q, h);
    return rawUrl.slice(0, end);
  }
  try {
    return new URL(rawUrl, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}
