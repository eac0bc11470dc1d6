// A web Request and the Response promised for it, as an Exchange. The Response is made when the
// core sends the head: at once for ordinary routes, when the stream opens for stream routes.
import type { IncomingHttpHeaders } from 'node:http';
import type { Sink } from '../../connection/sink.js';
import type { AbortListener, Exchange, FileBody, FinishListener } from '../../core/exchange.js';
import { LazyAbort } from '../../core/lazy-abort.js';
import { fileStream } from './file-body.js';
import { headersOf, readWebBody, targetOf } from './request.js';
import type { HostInfo } from './runtime.js';
import { WebSink } from './sink.js';

/** Statuses whose response must not have a body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A body that fails at once: how a fetch handler cuts a response it cannot complete. */
function cutBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.error(new Error('eventide cut the response')) });
}

/** A fetch Request and the Response made for it; like node:http's, it is the request's abort state (a {@link LazyAbort}) too. */
export class WebExchange extends LazyAbort implements Exchange {
  readonly request: Request;
  readonly method: string;
  readonly target: string;
  readonly host: HostInfo;
  /** The response, once the core sent the head. */
  readonly response: Promise<Response>;
  statusCode = 200;
  #resolve!: (response: Response) => void;
  #headers = new Headers();
  #nodeHeaders: IncomingHttpHeaders | undefined;
  #headSent = false;
  #finished = false;
  #finishListeners: FinishListener[] = [];
  #abortListeners: AbortListener[] = [];
  #sink: WebSink | undefined;
  #cutFile: (() => void) | undefined;
  #unlisten: (() => void) | undefined;

  constructor(request: Request, host: HostInfo) {
    super();
    this.request = request;
    this.host = host;
    this.method = request.method.toUpperCase();
    this.target = targetOf(request.url);
    this.response = new Promise<Response>((resolve) => (this.#resolve = resolve));
    const signal = request.signal;
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.clientGone());
      else {
        // Some hosts (Deno) also abort the signal after a response completed: the listener goes
        // once the exchange is finished.
        const onAbort = () => this.clientGone();
        signal.addEventListener('abort', onAbort, { once: true });
        this.#unlisten = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  get headers(): IncomingHttpHeaders {
    return (this.#nodeHeaders ??= headersOf(this.request));
  }
  get remoteAddress(): string | undefined {
    return this.host.remoteAddress;
  }
  get encrypted(): boolean {
    return this.request.url.startsWith('https:');
  }
  get nativeRequest(): unknown {
    return this.request;
  }
  /** There is no response object to write to before the Response exists. */
  get nativeResponse(): unknown {
    return undefined;
  }
  readBody(limit: number): Promise<Uint8Array | undefined> {
    return readWebBody(this.request, limit);
  }

  setHeader(name: string, value: string | number | readonly string[]): void {
    if (typeof value === 'string' || typeof value === 'number') {
      this.#headers.set(name, String(value));
      return;
    }
    this.#headers.delete(name);
    for (const item of value) this.#headers.append(name, item);
  }
  hasHeader(name: string): boolean {
    return this.#headers.has(name);
  }
  clearHeaders(): void {
    this.#headers = new Headers();
  }
  get headSent(): boolean {
    return this.#headSent;
  }
  get finished(): boolean {
    return this.#finished;
  }

  /** Hands the Response to the host; the head is then fixed. */
  respond(body: ReadableStream<Uint8Array> | Uint8Array | null, status = this.statusCode): void {
    if (this.#headSent) return;
    this.#headSent = true;
    const bodyless = this.method === 'HEAD' || NULL_BODY.has(status);
    let response: Response;
    try {
      response = new Response(bodyless ? null : (body as BodyInit | null), { status, headers: this.#headers });
    } catch {
      // A status the Response constructor refuses (1xx): the handler's mistake, answered as 500.
      response = new Response(null, { status: 500 });
    }
    this.#resolve(response);
  }

  send(body: Uint8Array | undefined): void {
    this.respond(body ?? null);
    this.finish();
  }

  async sendFile(file: FileBody): Promise<void> {
    if (file.end < file.start) {
      this.send(undefined);
      return;
    }
    const { stream, done } = await fileStream(file);
    if (this.#finished) {
      await stream.cancel();
      return;
    }
    this.#cutFile = () => void stream.cancel().catch(() => {});
    this.respond(stream);
    await done;
    this.#cutFile = undefined;
    this.finish();
  }

  openSink(): Sink {
    return (this.#sink = new WebSink(this));
  }

  destroy(): void {
    if (this.#sink) this.#sink.destroy();
    else if (this.#cutFile) this.#cutFile();
    else this.respond(cutBody());
    this.finish();
  }

  /** The client went away (the body was cancelled or the request's signal aborted). */
  clientGone(): void {
    if (this.#finished) return;
    const listeners = this.#abortListeners;
    this.#abortListeners = [];
    for (const listener of listeners) listener.clientAborted();
    this.#sink?.gone();
    this.#cutFile?.();
    this.finish();
  }

  /** The response is complete or cut; runs the finish listeners once. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#abortListeners = [];
    this.#unlisten?.();
    this.#unlisten = undefined;
    const listeners = this.#finishListeners;
    this.#finishListeners = [];
    for (const listener of listeners) listener.exchangeFinished(this);
  }

  onFinished(listener: FinishListener): void {
    if (this.#finished) listener.exchangeFinished(this);
    else this.#finishListeners.push(listener);
  }
  onAbort(listener: AbortListener): void {
    if (!this.#finished) this.#abortListeners.push(listener);
  }
}
