// A node:http request and response as an Exchange (and the stream's Sink).
import { createReadStream } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Sink, SinkCloseListener } from '../../connection/sink.js';
import type { AbortListener, Exchange, FileBody, FinishListener } from '../../core/exchange.js';
import { respondError } from '../../core/error-reply.js';
import { LazyAbort } from '../../core/lazy-abort.js';
import { STREAM_HEADERS } from '../../core/stream-head.js';
import { httpError } from '../../errors.js';

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

/**
 * A node:http request and its response. It is also the stream's sink and the request's abort
 * state (a {@link LazyAbort}): every held stream has one, and one object costs less than three.
 */
export class NodeExchange extends LazyAbort implements Exchange, Sink {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly parsedBody: { value: unknown } | undefined;
  // What the response's 'close' calls, in this order. One listener serves them all: an `once` per
  // purpose would cost each held stream a wrapper, a bound function and a listener array. Each is
  // usually one object the core already has; an array only when more register.
  #onFinished: OneOrMore<FinishListener> = undefined;
  #onAbort: OneOrMore<AbortListener> = undefined;
  #onClose: OneOrMore<SinkCloseListener> = undefined;

  constructor(req: IncomingMessage, res: ServerResponse, parsedBody?: { value: unknown }) {
    super();
    this.req = req;
    this.res = res;
    this.parsedBody = parsedBody;
  }

  // The method and target are read from the request, not copied: a held stream keeps two fields fewer.
  get method(): string {
    return (this.req.method ?? 'GET').toUpperCase();
  }
  get target(): string {
    return this.req.url ?? '/';
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
  /** The exchange is its own sink (and, as a sink, its own owner and abort state). */
  openSink(): Sink {
    this.req.socket?.setNoDelay(true);
    return this;
  }
  /**
   * Cuts the response at once, and its socket: a finished response lets go of its socket while
   * the socket may still hold bytes (the request keeps it). As a sink: cuts the stream.
   */
  destroy(): void {
    this.res.destroy();
    this.req.socket?.destroy();
  }
  /** The response is complete and its bytes left the socket's buffer (or the socket is gone). */
  onFinished(listener: FinishListener): void {
    this.#onFinished = addOne(this.#onFinished, listener);
    listen(this);
  }
  onAbort(listener: AbortListener): void {
    this.#onAbort = addOne(this.#onAbort, listener);
    listen(this);
  }
  /** Calls `listener.sinkClosed()` once when the response closes, for whatever reason (the sink's close). */
  onClose(listener: SinkCloseListener): void {
    this.#onClose = addOne(this.#onClose, listener);
    listen(this);
  }

  /** The response closed. Internal (called by the shared listener). */
  closed(): void {
    const finished = this.#onFinished;
    const aborted = this.#onAbort;
    const closed = this.#onClose;
    this.#onFinished = this.#onAbort = this.#onClose = undefined;
    if (finished) whenFlushed(this, finished);
    if (aborted && !this.res.writableFinished) forEachOne(aborted, (listener) => listener.clientAborted());
    if (closed) forEachOne(closed, (listener) => listener.sinkClosed());
  }

  // ---- Sink ----

  get owner(): unknown {
    return this;
  }

  open(first?: Uint8Array): void {
    if (first === undefined) openStreamHead(this.res);
    else writeCorked(this.res, first, true);
  }

  write(chunk: Uint8Array): boolean {
    return writeCorked(this.res, chunk);
  }

  get buffered(): number {
    return this.res.writableLength;
  }

  get needsDrain(): boolean {
    return this.res.writableNeedDrain;
  }

  onDrain(listener: () => void): void {
    this.res.on('drain', listener);
  }

  fail(err: unknown): void {
    respondError(this, err);
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}

/**
 * Sends the head of a stream on `res` now. A handler that wrote the head itself through ctx.res
 * keeps it; the stream follows it. The stream's default headers, where the handler set none of its
 * own, go straight into the head: a response whose headers were all defaults then keeps no header
 * map while it streams.
 */
function openStreamHead(res: ServerResponse): void {
  if (res.headersSent) return;
  // Which of the defaults go into the head, as bits: heads are shared per combination (node only
  // reads the list), so a stream's head makes no list of its own.
  let absent = 0;
  for (let i = 0; i < STREAM_HEADERS.length; i++) if (!res.hasHeader(STREAM_HEADERS[i][0])) absent |= 1 << i;
  // Connection is hop-by-hop: meaningful for HTTP/1.1 keep-alive, forbidden in HTTP/2.
  if (res.req?.httpVersion === '1.1' && !res.hasHeader('connection')) absent |= 1 << STREAM_HEADERS.length;
  res.writeHead(res.statusCode, (defaultHeads[absent] ??= defaultHead(absent)) as string[]);
  res.flushHeaders();
}

/** The default headers a head carries, by the bits of {@link openStreamHead}; made on first use. */
const defaultHeads: (readonly string[])[] = [];

function defaultHead(absent: number): readonly string[] {
  const head: string[] = [];
  STREAM_HEADERS.forEach(([name, value], i) => {
    if ((absent & (1 << i)) !== 0) head.push(name, value);
  });
  if ((absent & (1 << STREAM_HEADERS.length)) !== 0) head.push('Connection', 'keep-alive');
  return Object.freeze(head);
}

/**
 * Writes one flush's chunk to a stream's response. A connection writes once per flush. Corked
 * around that one write, the chunk and its chunked-encoding framing leave in a single writev at
 * once; left to itself, node:http corks the socket and schedules the uncork on process.nextTick
 * for every response written, which a fan-out to thousands of streams pays once per stream. Only
 * a plain TCP socket that nobody holds corked yet (HTTP/2's compatibility socket is not one).
 *
 * With `withHead`, the stream's head goes first, in the same writev. The head is still flushed on
 * its own: node then writes its header string as it is, which flattens it in place. Sent along with
 * the first write instead, node would join it to the chunk's length line, and the response would
 * keep its header as an unflattened rope for the stream's life (about 500 B per stream).
 */
function writeCorked(res: ServerResponse, chunk: Uint8Array, withHead = false): boolean {
  const socket = res.socket;
  if (socket instanceof Socket && socket.writableCorked === 0) {
    socket.cork();
    try {
      if (withHead) openStreamHead(res);
      return res.write(chunk);
    } finally {
      socket.uncork();
    }
  }
  if (withHead) openStreamHead(res);
  return res.write(chunk);
}

const EXCHANGE = Symbol('eventide exchange');
type WithExchange = ServerResponse & { [EXCHANGE]?: NodeExchange };

/** Listens for the response's 'close', once per exchange. */
function listen(exchange: NodeExchange): void {
  const res = exchange.res as WithExchange;
  if (res[EXCHANGE] === exchange) return;
  // 'close' is emitted once per response. One shared listener finds the exchange on the response.
  res[EXCHANGE] = exchange;
  res.on('close', onResponseClose);
}

function onResponseClose(this: WithExchange): void {
  this[EXCHANGE]?.closed();
}

/** Calls the finish listeners once the socket's buffer is empty (or the socket is gone). */
function whenFlushed(exchange: NodeExchange, listeners: FinishListener | FinishListener[]): void {
  // The request keeps the socket: a finished response lets go of it while it may still hold bytes.
  const socket: Socket | null = exchange.req.socket ?? null;
  const call = () => forEachOne(listeners, (listener) => listener.exchangeFinished(exchange));
  if (!socket || socket.destroyed || socket.writableLength === 0) return call();
  const done = () => {
    socket.off('drain', done);
    socket.off('close', done);
    call();
  };
  socket.on('drain', done);
  socket.on('close', done);
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
