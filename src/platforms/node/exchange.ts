// A node:http request and response as an Exchange.
import { createReadStream } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Sink, SinkCloseListener } from '../../connection/sink.js';
import type { AbortListener, Exchange, FileBody, FinishListener } from '../../core/exchange.js';
import { httpError } from '../../errors.js';
import { NodeSink } from './sink.js';

/** Reads a node request body, refusing more than `limit` bytes with 413. */
export async function readNodeBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw httpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw httpError(413, `request body exceeds the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return size === 0 ? undefined : Buffer.concat(chunks, size);
}

/** Streams a byte range of a file into `res`; the descriptor is released however the response ends. */
export function pipeFile(res: ServerResponse, file: FileBody): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file.path, { start: file.start, end: file.end });
    const done = () => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      // The client went away (or the response ended): release the file at once.
      stream.destroy();
      done();
    };
    stream.once('error', (err) => {
      res.off('close', onClose);
      stream.destroy();
      if (!res.headersSent) reject(err);
      else {
        res.destroy();
        resolve();
      }
    });
    res.once('close', onClose);
    stream.pipe(res);
  });
}

export class NodeExchange implements Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly target: string;
  readonly parsedBody: { value: unknown } | undefined;
  // Kept because a finished response lets go of its socket while the socket may still hold bytes.
  readonly #socket: Socket | null;
  // What the response's 'close' calls, in this order. One listener serves them all: an `once` per
  // purpose would cost each held stream a wrapper, a bound function and a listener array. Each is
  // usually one object the core already has; an array only when more register.
  #onFinished: OneOrMore<FinishListener>;
  #onAbort: OneOrMore<AbortListener>;
  #onClose: OneOrMore<SinkCloseListener>;
  #listening = false;

  constructor(req: IncomingMessage, res: ServerResponse, parsedBody?: { value: unknown }) {
    this.req = req;
    this.res = res;
    this.#socket = req.socket ?? null;
    this.method = (req.method ?? 'GET').toUpperCase();
    this.target = req.url ?? '/';
    this.parsedBody = parsedBody;
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }
  get remoteAddress(): string | undefined {
    return this.req.socket?.remoteAddress;
  }
  get encrypted(): boolean {
    return (this.req.socket as TLSSocket | undefined)?.encrypted === true;
  }
  get nativeRequest(): unknown {
    return this.req;
  }
  get nativeResponse(): unknown {
    return this.res;
  }
  /** The sink writes the stream's default headers when it opens (no header map is kept for them). */
  get writesStreamHeaders(): boolean {
    return true;
  }
  readBody(limit: number): Promise<Uint8Array | undefined> {
    return readNodeBody(this.req, limit);
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
    return this.res.writableEnded || this.res.destroyed;
  }

  send(body: Uint8Array | undefined): void {
    if (this.method === 'HEAD' || body === undefined) this.res.end();
    else this.res.end(body);
  }
  sendFile(file: FileBody): Promise<void> {
    return pipeFile(this.res, file);
  }
  openSink(): Sink {
    this.req.socket?.setNoDelay(true);
    return new NodeSink(this.res, this);
  }
  destroy(): void {
    this.res.destroy();
    this.#socket?.destroy();
  }
  /** The response is complete and its bytes left the socket's buffer (or the socket is gone). */
  onFinished(listener: FinishListener): void {
    this.#onFinished = addOne(this.#onFinished, listener);
    this.#listen();
  }
  onAbort(listener: AbortListener): void {
    this.#onAbort = addOne(this.#onAbort, listener);
    this.#listen();
  }
  /** Calls `listener.sinkClosed()` once when the response closes, for whatever reason (the sink's close). */
  onClose(listener: SinkCloseListener): void {
    this.#onClose = addOne(this.#onClose, listener);
    this.#listen();
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    // 'close' is emitted once per response. One shared listener finds the exchange on the response.
    (this.res as ServerResponse & { [EXCHANGE]?: NodeExchange })[EXCHANGE] = this;
    this.res.on('close', onResponseClose);
  }

  /** The response closed. Internal (called by the shared listener). */
  closed(): void {
    const finished = this.#onFinished;
    const aborted = this.#onAbort;
    const closed = this.#onClose;
    this.#onFinished = this.#onAbort = this.#onClose = undefined;
    if (finished) this.#whenFlushed(finished);
    if (aborted && !this.res.writableFinished) forEachOne(aborted, (listener) => listener.clientAborted());
    if (closed) forEachOne(closed, (listener) => listener.sinkClosed());
  }

  #whenFlushed(listeners: FinishListener | FinishListener[]): void {
    const socket = this.#socket;
    const call = () => forEachOne(listeners, (listener) => listener.exchangeFinished(this));
    if (!socket || socket.destroyed || socket.writableLength === 0) return call();
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      call();
    };
    socket.on('drain', done);
    socket.on('close', done);
  }
}

const EXCHANGE = Symbol('eventide exchange');

function onResponseClose(this: ServerResponse & { [EXCHANGE]?: NodeExchange }): void {
  this[EXCHANGE]?.closed();
}

/** One listener, or several in the order they came (rare): no array for the usual one. */
type OneOrMore<T> = T | T[] | undefined;

function addOne<T extends object>(current: OneOrMore<T>, next: T): T | T[] {
  if (current === undefined) return next;
  return Array.isArray(current) ? [...current, next] : [current, next];
}

function forEachOne<T extends object>(listeners: T | T[], call: (listener: T) => void): void {
  if (Array.isArray(listeners)) for (const listener of listeners) call(listener);
  else call(listeners);
}
