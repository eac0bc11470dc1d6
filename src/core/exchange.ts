// What the route core needs of one request and its response, whatever HTTP stack carries them.
// Each platform implements it in a few lines (node:http, HTTP/2, Express, Fastify, fetch).
import type { IncomingHttpHeaders } from 'node:http';
import type { Sink } from '../connection/sink.js';

/** A file to send, resolved and checked by the core; the platform streams the byte range. */
export interface FileBody {
  path: string;
  /** First byte to send. */
  start: number;
  /** Last byte to send (inclusive); `start - 1` for an empty body. */
  end: number;
}

/**
 * Hears that an exchange is over. Listeners are objects with a method, not closures: every held
 * stream registers some, and an object the core already has costs nothing more.
 */
export interface FinishListener {
  /** The response is complete or its transport is gone. */
  exchangeFinished(exchange: Exchange): void;
}

/** Hears that the client went away before the response was complete. */
export interface AbortListener {
  clientAborted(): void;
}

/** One request and the response to it, as a platform presents them to the route core. */
export interface Exchange {
  /** The request method, upper case. */
  readonly method: string;
  /** The request target as sent (`/path?query`). */
  readonly target: string;
  /** Request headers, lower-case names. */
  readonly headers: IncomingHttpHeaders;
  /** The peer's address (the proxy's, behind one: see `trustProxy`). */
  readonly remoteAddress: string | undefined;
  /** True when the request came over TLS. */
  readonly encrypted: boolean;
  /** A body the platform already parsed (Fastify, Express body parsers); `undefined` to let the core read it. */
  readonly parsedBody?: { value: unknown };
  /** Reads the raw body, refusing more than `limit` bytes with a 413 error. */
  readBody(limit: number): Promise<Uint8Array | undefined>;
  /** The platform's own request and response objects, for `ctx.req` / `ctx.res`. */
  readonly nativeRequest: unknown;
  readonly nativeResponse: unknown;

  /** The response status until the head is sent. */
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): void;
  hasHeader(name: string): boolean;
  /** Drops every header set so far (an error response replaces a stream's headers). */
  clearHeaders(): void;
  /** True once someone (the handler, through the native response) sent the head or ended the response. */
  readonly headSent: boolean;
  /** True once the response is complete or its transport is gone. */
  readonly finished: boolean;

  /** Sends the head and `body` (no body for HEAD), and ends the response. */
  send(body: Uint8Array | undefined): void;
  /** Sends the head and the file's byte range; resolves when done or aborted. Releases the file on abort. */
  sendFile(file: FileBody): Promise<void>;
  /**
   * True when the sink writes the stream's default headers (where none of the same name is set)
   * as it opens, so the core does not set them beforehand.
   */
  readonly writesStreamHeaders?: boolean;
  /**
   * The sink a stream writes to. Called at most once. Its `abort` aborts the request's abort state
   * and its `owner` is this exchange: every platform's exchange is its own abort state (a
   * LazyAbort, which the core then uses for the request), so its sink reaches it.
   */
  openSink(): Sink;
  /** Cuts the response at once (it started and cannot be completed). */
  destroy(): void;
  /** Calls `listener.exchangeFinished(this)` once when the response is complete or its transport is gone. */
  onFinished(listener: FinishListener): void;
  /** Calls `listener.clientAborted()` once when the client goes away before the response is complete. */
  onAbort(listener: AbortListener): void;
}
