// A node:http request and response as an Exchange.
import { createReadStream } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Sink } from '../../connection/sink.js';
import type { Exchange, FileBody } from '../../core/exchange.js';
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
  // purpose would cost each held stream a wrapper, a bound function and a listener array.
  #onFinished: (() => void) | undefined;
  #onAbort: (() => void) | undefined;
  #onClose: (() => void) | undefined;
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
  onFinished(listener: () => void): void {
    this.#onFinished = chain(this.#onFinished, listener);
    this.#listen();
  }
  onAbort(listener: () => void): void {
    this.#onAbort = chain(this.#onAbort, listener);
    this.#listen();
  }
  /** Calls `listener` once when the response closes, for whatever reason (the sink's close). */
  onClose(listener: () => void): void {
    this.#onClose = chain(this.#onClose, listener);
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
    if (aborted && !this.res.writableFinished) aborted();
    closed?.();
  }

  #whenFlushed(listener: () => void): void {
    const socket = this.#socket;
    if (!socket || socket.destroyed || socket.writableLength === 0) return listener();
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      listener();
    };
    socket.on('drain', done);
    socket.on('close', done);
  }
}

const EXCHANGE = Symbol('eventide exchange');

function onResponseClose(this: ServerResponse & { [EXCHANGE]?: NodeExchange }): void {
  this[EXCHANGE]?.closed();
}

function chain(first: (() => void) | undefined, next: () => void): () => void {
  return first === undefined
    ? next
    : () => {
        first();
        next();
      };
}
