// An HTTP/2 request and response (node:http2's compatibility API) as an Exchange.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Sink } from '../../connection/sink.js';
import type { AbortListener, Exchange, FileBody, FinishListener } from '../../core/exchange.js';
import { LazyAbort } from '../../core/lazy-abort.js';
import { pipeFile, readNodeBody } from '../node/exchange.js';
import { cutStream, Http2Sink } from './sink.js';

/** Request headers without HTTP/2 pseudo-headers, with `host` taken from `:authority`. */
function plainHeaders(raw: IncomingHttpHeaders): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(raw)) if (name[0] !== ':') headers[name] = value;
  const authority = raw[':authority'];
  if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
  return headers;
}

/** An HTTP/2 request and its response; like node:http's, it is the request's abort state (a {@link LazyAbort}) too. */
export class Http2Exchange extends LazyAbort implements Exchange {
  readonly req: Http2ServerRequest;
  readonly res: Http2ServerResponse;
  readonly method: string;
  readonly target: string;
  #headers: IncomingHttpHeaders | undefined;
  #completed = false;

  constructor(req: Http2ServerRequest, res: Http2ServerResponse) {
    super();
    this.req = req;
    this.res = res;
    this.method = (req.method ?? 'GET').toUpperCase();
    this.target = req.url ?? '/';
    res.once('finish', () => (this.#completed = true));
  }

  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= plainHeaders(this.req.headers));
  }
  get remoteAddress(): string | undefined {
    try {
      return this.req.stream?.session?.socket?.remoteAddress;
    } catch {
      return undefined; // the session's socket is gone (its proxy throws once unbound)
    }
  }
  get encrypted(): boolean {
    try {
      return this.req.stream?.session?.encrypted === true;
    } catch {
      return false;
    }
  }
  get nativeRequest(): unknown {
    return this.req;
  }
  get nativeResponse(): unknown {
    return this.res;
  }
  readBody(limit: number): Promise<Uint8Array | undefined> {
    return readNodeBody(this.req as unknown as IncomingMessage, limit);
  }

  get statusCode(): number {
    return this.res.statusCode;
  }
  set statusCode(code: number) {
    this.res.statusCode = code;
  }
  setHeader(name: string, value: string | number | readonly string[]): void {
    this.res.setHeader(name, value);
  }
  hasHeader(name: string): boolean {
    return this.res.hasHeader(name);
  }
  clearHeaders(): void {
    for (const name of this.res.getHeaderNames()) this.res.removeHeader(name);
  }
  get headSent(): boolean {
    return this.res.headersSent;
  }
  get finished(): boolean {
    return this.res.writableEnded || this.res.stream.destroyed || this.res.stream.closed;
  }

  send(body: Uint8Array | undefined): void {
    if (this.method === 'HEAD' || body === undefined) this.res.end();
    else this.res.end(body);
  }
  sendFile(file: FileBody): Promise<void> {
    return pipeFile(this.res as unknown as ServerResponse, file);
  }
  openSink(): Sink {
    return new Http2Sink(this.res, this);
  }
  destroy(): void {
    cutStream(this.res.stream);
  }
  /** The stream closed: its response completed, or it was reset. */
  onFinished(listener: FinishListener): void {
    this.res.stream.once('close', () => listener.exchangeFinished(this));
  }
  onAbort(listener: AbortListener): void {
    this.res.stream.once('close', () => {
      if (!this.#completed) listener.clientAborted();
    });
  }
}
