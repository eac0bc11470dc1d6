// One open SSE response on node:http: headers, ordered coalesced writes with a bounded queue,
// heartbeats, and a single teardown whichever side ends the stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventideError } from '../errors.js';
import { encodeEvent } from '../protocol/encode.js';
import { frameOf } from '../protocol/frames.js';
import type { MessageEvent } from '../protocol/types.js';
import type { SourceSink, StreamSource } from '../sources/index.js';
import { cancelFlush, scheduleFlush, type Flushable, type FlushPass } from './flush-scheduler.js';
import type { HeartbeatScheduler } from './heartbeat.js';
import type { StreamOptions } from './options.js';
import { publicError, respondError } from './respond-error.js';

/** Aborts a request's signal; the signal itself may be made lazily (see LazyAbort). */
export interface Aborter {
  abort(reason: unknown): void;
}

/** Why a stream ended. */
export type CloseReason = 'complete' | 'error' | 'client' | 'slow-client' | 'server' | 'no-content';

/** What a connection tells its owner (the app). */
export interface ConnectionHooks {
  heartbeats: HeartbeatScheduler;
  /** Called once, when the stream has ended for any reason. */
  onClose(connection: SseConnection, reason: CloseReason): void;
  /** Called with errors the application should hear of (source failures, invalid events). */
  onError(err: unknown): void;
}

const HEARTBEAT = Buffer.from(':\n');
/** Sources that hold back (hub subscriptions) stop pushing once this share of `maxBufferedBytes` is unsent. */
const HIGH_WATER_SHARE = 4;
/** Pull sources pause once this much is queued in a turn, so a fast producer yields to the flush. */
const PULL_PAUSE_BYTES = 64 * 1024;
/** The `type` of the one event a stream that fails after opening ends with (`eventide-error`); EventSource's own is `error`. */
export const STREAM_ERROR_EVENT = 'eventide-error';

/**
 * An object with its own `data` property is an event (fields other than `id`, `type` and `retry`
 * are not sent); any other value is sent as `{ data: value }`.
 */
function toEvent(value: unknown): MessageEvent<unknown> {
  if (typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, 'data')) {
    return value as MessageEvent<unknown>;
  }
  return { data: value };
}

export class SseConnection implements Flushable, SourceSink {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly #options: Required<StreamOptions>;
  readonly #hooks: ConnectionHooks;
  readonly #abort: Aborter;
  #source: StreamSource | undefined;
  #frames: Uint8Array[] = [];
  #queuedBytes = 0;
  // The socket's buffered bytes as of the last flush: reading res.writableLength walks getters, too
  // slow to do per event; between flushes the buffer only shrinks, so this errs on the safe side.
  #socketBuffered = 0;
  #committed = false;
  #closed = false;
  #ending = false;
  #wroteSinceBeat = false;
  #waiters: (() => void)[] | undefined;
  #heartbeatMs = 0;
  #drainListening = false;
  #commitTimer: ReturnType<typeof setImmediate> | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    abort: Aborter,
    options: Required<StreamOptions>,
    hooks: ConnectionHooks,
  ) {
    this.req = req;
    this.res = res;
    this.#abort = abort;
    this.#options = options;
    this.#hooks = hooks;
    res.once('close', () => this.#teardown('client'));
  }

  /** True once the status line and headers are on the wire. */
  get committed(): boolean {
    return this.#committed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Starts streaming `source`. Headers are committed with the first write or at the end of this
   * turn of the event loop, whichever comes first; an error before then is an HTTP error response.
   */
  start(source: StreamSource): void {
    if (this.#closed) {
      source.stop();
      return;
    }
    if (this.res.statusCode === 204) {
      // [spec] 204 No Content tells EventSource to stop reconnecting.
      source.stop();
      this.res.end();
      this.#teardown('no-content');
      return;
    }
    this.#source = source;
    this.req.socket.setNoDelay(true);
    this.#commitTimer = setImmediate(() => {
      this.#commitTimer = undefined;
      if (!this.#closed) this.#commit();
    });
    this.#heartbeatMs = this.#options.heartbeatMs;
    this.#hooks.heartbeats.add(this, this.#heartbeatMs);
    try {
      source.start(this);
    } catch (err) {
      this.error(err);
    }
  }

  // ---- SourceSink ----

  next(value: unknown): void {
    if (this.#closed) return;
    let frame: Uint8Array;
    try {
      frame = frameOf(toEvent(value));
    } catch (err) {
      this.error(err);
      return;
    }
    this.#enqueue(frame);
  }

  frame(bytes: Uint8Array): void {
    if (!this.#closed) this.#enqueue(bytes);
  }

  error(err: unknown): void {
    if (this.#closed) return;
    this.#hooks.onError(err);
    if (!this.#committed) {
      respondError(this.res, err);
      this.#teardown('error');
      return;
    }
    const payload = JSON.stringify(
      err instanceof EventideError && err.expose ? publicError(err) : { code: 'EVENTIDE_STREAM_FAILED', message: 'The stream failed on the server' },
    );
    this.#frames.push(Buffer.from(encodeEvent({ type: STREAM_ERROR_EVENT, data: payload })));
    this.end('error');
  }

  complete(): void {
    this.end('complete');
  }

  ready(): Promise<void> | undefined {
    if (this.#closed) return undefined;
    if (this.#queuedBytes < PULL_PAUSE_BYTES && !this.res.writableNeedDrain && this.demand() > 0) return undefined;
    // Listen for 'drain' only once someone waits: an idle connection carries no listener for it.
    this.#listenForDrain();
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  /** Bytes a holding-back source may still push before the high-water mark (a quarter of maxBufferedBytes). */
  demand(): number {
    if (this.#closed) return 0;
    // Below its own high-water mark the socket's buffer is not counted: no 'drain' would follow it.
    const inSocket = this.res.writableNeedDrain ? this.#socketBuffered : 0;
    return this.#options.maxBufferedBytes / HIGH_WATER_SHARE - this.#queuedBytes - inSocket;
  }

  unsent(): number {
    return this.#queuedBytes + (this.res.destroyed ? 0 : this.res.writableLength);
  }

  stalled(): void {
    if (!this.#closed) this.#slowClient();
  }

  // ---- writing ----

  #enqueue(frame: Uint8Array): void {
    const frames = this.#frames;
    if (
      frames.length >= this.#options.maxQueuedEvents ||
      this.#queuedBytes + frame.length + this.#socketBuffered > this.#options.maxBufferedBytes
    ) {
      this.#slowClient();
      return;
    }
    frames.push(frame);
    this.#queuedBytes += frame.length;
    this.#wroteSinceBeat = true;
    if (frames.length === 1) scheduleFlush(this);
  }

  /** Writes everything queued in one write. Called by the flush scheduler. */
  flush(pass: FlushPass): void {
    if ((this.#closed && !this.#ending) || this.res.destroyed) return;
    if (!this.#committed) this.#commit();
    const frames = this.#frames;
    if (frames.length > 0) {
      let chunk: Uint8Array;
      if (frames.length === 1) {
        chunk = frames[0];
        frames.length = 0; // the common case of a quiet stream: keep the array
      } else {
        chunk = pass.join(frames, this.#queuedBytes);
        this.#frames = []; // the pass keeps `frames` to recognise the same burst on other connections
      }
      this.#queuedBytes = 0;
      if (!this.res.write(chunk)) this.#listenForDrain();
      this.#socketBuffered = this.res.writableLength;
    }
    if (this.#ending) {
      this.#ending = false;
      this.res.end();
      return;
    }
    if (!this.res.writableNeedDrain) this.#wake();
  }

  heartbeat(): void {
    if (this.#closed || !this.#committed) return;
    if (this.#wroteSinceBeat) {
      this.#wroteSinceBeat = false;
      return;
    }
    this.#enqueue(HEARTBEAT);
    this.#wroteSinceBeat = false;
  }

  #commit(): void {
    if (this.#committed) return;
    this.#committed = true;
    if (this.#commitTimer) {
      clearImmediate(this.#commitTimer);
      this.#commitTimer = undefined;
    }
    const res = this.res;
    // Handlers may have set their own values; defaults fill in the rest.
    if (!res.hasHeader('content-type')) res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    if (!res.hasHeader('cache-control')) res.setHeader('Cache-Control', 'no-cache, no-transform');
    if (!res.hasHeader('x-accel-buffering')) res.setHeader('X-Accel-Buffering', 'no');
    // Connection is hop-by-hop: meaningful for HTTP/1.1 keep-alive, forbidden in HTTP/2.
    if (this.req.httpVersion === '1.1' && !res.hasHeader('connection')) res.setHeader('Connection', 'keep-alive');
    res.flushHeaders();
  }

  #wake(): void {
    const waiters = this.#waiters;
    if (waiters === undefined) return;
    this.#waiters = undefined;
    for (const resolve of waiters) resolve();
  }

  #listenForDrain(): void {
    if (this.#drainListening) return;
    this.#drainListening = true;
    this.res.on('drain', () => {
      this.#socketBuffered = 0;
      this.#wake();
    });
  }

  // ---- ending ----

  /** Ends the stream cleanly after writing what is queued. */
  end(reason: CloseReason): void {
    if (this.#closed) return;
    this.#ending = true;
    this.#teardown(reason);
    scheduleFlush(this);
  }

  #slowClient(): void {
    this.#teardown('slow-client');
    // The client is not reading: a graceful end would queue behind what it never reads.
    this.res.destroy();
  }

  #stopSource(): void {
    const source = this.#source;
    this.#source = undefined;
    source?.stop();
  }

  /** Runs exactly once: stops the source, aborts the signal, releases timers. */
  #teardown(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#commitTimer) {
      clearImmediate(this.#commitTimer);
      this.#commitTimer = undefined;
    }
    this.#hooks.heartbeats.remove(this, this.#heartbeatMs);
    if (!this.#ending) {
      cancelFlush(this);
      this.#frames = [];
      this.#queuedBytes = 0;
    }
    this.#stopSource();
    this.#abort.abort(
      reason === 'slow-client'
        ? new EventideError('EVENTIDE_SLOW_CLIENT', 'the client did not read fast enough; the stream was closed')
        : new EventideError('EVENTIDE_CLOSED', `the stream ended (${reason})`),
    );
    this.#wake();
    this.#hooks.onClose(this, reason);
  }
}
