// One open SSE stream: the commit of status and headers, ordered coalesced writes with a bounded
// queue, heartbeats, and a single teardown whichever side ends the stream. It writes to a Sink,
// so every platform shares this logic.
import { EventideError } from '../errors.js';
import { encodeEvent } from '../protocol/encode.js';
import { encodedFrameOf, ownFrameOf } from '../protocol/frames.js';
import type { MessageEvent } from '../protocol/types.js';
import type { SourceSink, StreamSource } from '../sources/index.js';
import { cancelFlush, scheduleFlush, type Flushable, type FlushPass } from './flush-scheduler.js';
import { FrameQueue } from './frame-queue.js';
import type { HeartbeatScheduler } from './heartbeat.js';
import type { StreamOptions } from './options.js';
import { publicError } from './public-error.js';
import { DeferredReason, type Sink, type SinkCloseListener } from './sink.js';

/** Why a stream ended. */
export type CloseReason = 'complete' | 'error' | 'client' | 'slow-client' | 'server' | 'no-content' | 'drain';

/** What a connection tells its owner (the app). */
export interface ConnectionHooks {
  heartbeats: HeartbeatScheduler;
  /** Called once, when the stream has ended for any reason. Must not throw. */
  onClose(connection: SseConnection, reason: CloseReason): void;
  /** Called with errors the application should hear of (source failures, invalid events). Must not throw. */
  onError(err: unknown, connection: SseConnection): void;
}

/**
 * What a connection is given by its app: the route's stream options and the app's hooks in one
 * object (made once per route), so that a held stream keeps one reference for both.
 */
export type ConnectionSettings = Required<StreamOptions> & ConnectionHooks;

const HEARTBEAT = Buffer.from(':\n');

/** The abort reason of the request's signal, per way a stream ends (made only if a signal needs it). */
const ABORT_REASONS: Record<CloseReason, DeferredReason> = {
  complete: endedBecause('complete'),
  error: endedBecause('error'),
  client: endedBecause('client'),
  'slow-client': new DeferredReason(() => new EventideError('EVENTIDE_SLOW_CLIENT', 'the client did not read fast enough; the stream was closed')),
  server: endedBecause('server'),
  'no-content': endedBecause('no-content'),
  drain: endedBecause('drain'),
};

function endedBecause(reason: CloseReason): DeferredReason {
  return new DeferredReason(() => new EventideError('EVENTIDE_CLOSED', `the stream ended (${reason})`));
}
/** Pull sources pause once this much is queued in a turn, so a fast producer yields to the flush. */
const PULL_PAUSE_BYTES = 64 * 1024;
// Bits of a connection's #flags (every held stream has them). Tested inline rather than through
// private accessors: V8 calls into its runtime for each private accessor use in code it has not
// optimised yet, which is all of it during a fresh process's first burst.
/** The sink waited for 'drain' at the last flush or drain. */
const SINK_NEEDS_DRAIN = 1;
/** The status line and headers are on the wire. */
const COMMITTED = 2;
const CLOSED = 4;
/** Closed, with what is queued still to be written and the sink ended. */
const ENDING = 8;
/** Something was queued since the last heartbeat tick. */
const WROTE_SINCE_BEAT = 16;
/** A 'drain' listener is on the sink. */
const DRAIN_LISTENING = 32;

/** Sources that hold back (hub subscriptions) stop pushing once this share of `maxBufferedBytes` is unsent. */
const HIGH_WATER_SHARE = 4;
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

function streamErrorFrame(err: unknown): Uint8Array {
  const payload = JSON.stringify(
    err instanceof EventideError && err.expose ? publicError(err) : { code: 'EVENTIDE_STREAM_FAILED', message: 'The stream failed on the server' },
  );
  return Buffer.from(encodeEvent({ type: STREAM_ERROR_EVENT, data: payload }));
}

/**
 * A connection is its own queue of unsent frames (a FrameQueue, whose state stays private to it):
 * every held stream has one, and one object costs less than two.
 */
export class SseConnection extends FrameQueue implements Flushable, SourceSink, SinkCloseListener {
  /** Where the stream is written; it also aborts the request's signal and knows the stream's owner. */
  readonly sink: Sink;
  readonly #settings: ConnectionSettings;
  #source: StreamSource | undefined;
  // The sink's buffered bytes and whether it waits for 'drain', as of the last reading (#readSink:
  // at each flush, on 'drain' once someone waits, before a refusal): reading them walks getters,
  // too slow to do per event. Only a flush writes to the sink, and between flushes its buffer only
  // shrinks, so both err on the safe side; a refusal (the slow-client bound, no demand) re-reads
  // them before it is made.
  #sinkBuffered = 0;
  // Six booleans in one number: see SINK_NEEDS_DRAIN and the bits after it.
  #flags = 0;
  #waiters: (() => void)[] | undefined;
  #commitTimer: ReturnType<typeof setImmediate> | undefined;
  /** Events queued since the last flush (comments not counted). */
  #pendingEvents = 0;
  /**
   * Events written or queued to be written (comments not counted; what a teardown drops is taken
   * back off). Final once the stream has closed. Read by operations metrics.
   */
  eventsWritten = 0;
  /** Bytes written or queued to be written, counted like `eventsWritten`. */
  bytesWritten = 0;
  /** The route pattern this stream was opened on (set by the app; '' when unknown). */
  route = '';
  /**
   * When the stream opened: `performance.now()` rounded to whole milliseconds (set by the app). A
   * whole number is kept in the object itself; a fraction would be a heap number per stream.
   */
  openedAt = 0;

  constructor(sink: Sink, settings: ConnectionSettings) {
    super();
    this.sink = sink;
    this.#settings = settings;
    sink.onClose(this);
  }

  /**
   * What the app knows this stream by (its exchange, told by the sink): the hooks are shared by
   * every stream of an app, so they find the request through it rather than through a closure per stream.
   */
  get owner(): unknown {
    return this.sink.owner;
  }

  /** The transport closed (the client went away, or after end or destroy). Internal: called by the sink. */
  sinkClosed(): void {
    this.#teardown('client');
  }

  /** True once the status line and headers are on the wire. */
  get committed(): boolean {
    return (this.#flags & COMMITTED) !== 0;
  }

  get closed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }

  /**
   * Starts streaming `source`. Headers are committed with the first write or at the end of this
   * turn of the event loop, whichever comes first; an error before then is an HTTP error response.
   */
  start(source: StreamSource): void {
    if ((this.#flags & CLOSED) !== 0) {
      source.stop();
      return;
    }
    this.#source = source;
    this.#commitTimer = setImmediate(() => {
      this.#commitTimer = undefined;
      // Bytes are queued: the flush pass they scheduled opens the stream, with them in its write.
      if ((this.#flags & CLOSED) === 0 && this.length === 0) this.#guarded(() => this.#commit());
    });
    this.#settings.heartbeats.add(this, this.#settings.heartbeatMs);
    try {
      source.start(this);
    } catch (err) {
      this.error(err);
    }
  }

  // ---- SourceSink ----

  next(value: unknown): void {
    if ((this.#flags & CLOSED) !== 0) return;
    // A hub event carries its frame: the common case of an Observable route, checked first.
    let frame = ownFrameOf(value);
    if (frame === undefined) {
      try {
        frame = encodedFrameOf(toEvent(value));
      } catch (err) {
        this.error(err);
        return;
      }
    }
    this.#enqueue(frame, 1);
  }

  frame(bytes: Uint8Array, events: number): void {
    if ((this.#flags & CLOSED) === 0) this.#enqueue(bytes, events);
  }

  #countEvents(count: number): void {
    this.#pendingEvents += count;
    this.eventsWritten += count;
  }

  /** Queues a last frame past the bounds (error event, drain retry). */
  #pushLast(frame: Uint8Array, events: number): void {
    this.push(frame);
    this.bytesWritten += frame.length;
    this.#countEvents(events);
  }

  error(err: unknown): void {
    if ((this.#flags & CLOSED) !== 0) return;
    this.#settings.onError(err, this);
    if ((this.#flags & COMMITTED) === 0) {
      // Nothing was sent yet: the platform answers an ordinary HTTP error instead of a stream.
      this.#teardown('error');
      this.#guarded(() => this.sink.fail(err));
      return;
    }
    // The error event goes after what is already queued: the client sees every event it was sent,
    // then learns that the stream failed. It is not bounded: it is the last frame.
    this.#pushLast(streamErrorFrame(err), 1);
    this.end('error');
  }

  complete(): void {
    this.end('complete');
  }

  ready(): Promise<void> | undefined {
    if ((this.#flags & CLOSED) !== 0) return undefined;
    // The sink may have drained since the last flush, with no listener to say so.
    this.#readSink();
    if (!this.#shouldPause() && this.demand() > 0) return undefined;
    // Listen for 'drain' only once someone waits: an idle connection carries no listener for it.
    this.#listenForDrain();
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  /** Bytes a holding-back source may still push before the high-water mark (a quarter of maxBufferedBytes). */
  demand(): number {
    if ((this.#flags & CLOSED) !== 0) return 0;
    // Below its own high-water mark the transport's buffer is not counted: no drain would follow it.
    const room = this.#settings.maxBufferedBytes / HIGH_WATER_SHARE - this.bytes;
    if ((this.#flags & SINK_NEEDS_DRAIN) === 0) return room;
    // As of the last flush: re-read before answering that there is no room.
    if (room - this.#sinkBuffered <= 0) this.#readSink();
    return (this.#flags & SINK_NEEDS_DRAIN) === 0 ? room : room - this.#sinkBuffered;
  }

  unsent(): number {
    return this.bytes + ((this.#flags & CLOSED) !== 0 ? 0 : this.sink.buffered);
  }

  stalled(): void {
    if ((this.#flags & CLOSED) === 0) this.#slowClient();
  }

  #shouldPause(): boolean {
    const settings = this.#settings;
    // Well below the slow-client bounds: past half of them, or 64 KB queued and buffered.
    return (
      this.bytes + this.#sinkBuffered >= Math.min(PULL_PAUSE_BYTES, Math.floor(settings.maxBufferedBytes / 2)) ||
      this.length >= Math.max(1, Math.floor(settings.maxQueuedEvents / 2)) ||
      this.sink.needsDrain
    );
  }

  // ---- writing ----

  /** Queues a frame holding `events` events (comments hold none), or closes the stream when it is past the slow-client bound. */
  #enqueue(frame: Uint8Array, events: number): void {
    const settings = this.#settings;
    let queued = this.pushWithin(frame, settings.maxQueuedEvents, settings.maxBufferedBytes - this.#sinkBuffered);
    if (queued === 0 && this.#sinkBuffered > 0) {
      // The sink's buffer as of the last flush: it may have drained since. Only a fresh reading closes a stream.
      this.#readSink();
      queued = this.pushWithin(frame, settings.maxQueuedEvents, settings.maxBufferedBytes - this.#sinkBuffered);
    }
    if (queued === 0) {
      this.#slowClient();
      return;
    }
    this.bytesWritten += frame.length;
    this.#pendingEvents += events;
    this.eventsWritten += events;
    this.#flags |= WROTE_SINCE_BEAT;
    if (queued === 1) scheduleFlush(this);
  }

  /** Writes everything queued in one write. Called by the flush scheduler, which isolates failures. */
  flush(pass: FlushPass): void {
    if ((this.#flags & CLOSED) !== 0 && (this.#flags & ENDING) === 0) return;
    // Guarded as #guarded does, without a closure per stream per flush.
    try {
      const chunk = this.take(pass);
      if (chunk === undefined) {
        this.#commit();
      } else {
        this.#pendingEvents = 0;
        // The first flush opens the stream with its chunk: head and first bytes in one write.
        if ((this.#flags & COMMITTED) === 0) this.#commit(chunk);
        else this.sink.write(chunk);
        // No 'drain' listener unless someone waits (ready() adds it): most bursts fill the sink past
        // its high-water mark for a moment, and a listener per stream, called per drain, would cost
        // each of them. What is read here errs on the safe side until re-read (#readSink).
        this.#readSink();
      }
      if ((this.#flags & ENDING) !== 0) {
        this.#flags &= ~ENDING;
        this.sink.end();
        return;
      }
      if (!this.sink.needsDrain) this.#wake();
    } catch (err) {
      this.#transportFailed(err);
    }
  }

  heartbeat(): void {
    if ((this.#flags & CLOSED) !== 0 || (this.#flags & COMMITTED) === 0) return;
    if ((this.#flags & WROTE_SINCE_BEAT) !== 0) {
      this.#flags &= ~WROTE_SINCE_BEAT;
      return;
    }
    this.#enqueue(HEARTBEAT, 0);
    this.#flags &= ~WROTE_SINCE_BEAT;
  }

  /** Opens the stream (once), with its first bytes when there are some. */
  #commit(first?: Uint8Array): void {
    if ((this.#flags & COMMITTED) !== 0) return;
    this.#flags |= COMMITTED;
    if (this.#commitTimer) {
      clearImmediate(this.#commitTimer);
      this.#commitTimer = undefined;
    }
    this.sink.open(first);
  }

  /**
   * Runs a transport operation; if it throws (a platform or user code broke the response), this
   * stream is cut and the error reported: never the flush loop, never another stream.
   */
  #guarded(operation: () => void): void {
    try {
      operation();
    } catch (err) {
      this.#transportFailed(err);
    }
  }

  #transportFailed(err: unknown): void {
    this.#settings.onError(
      new EventideError('EVENTIDE_STREAM_FAILED', `writing the stream failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }),
      this,
    );
    this.destroy('error');
  }

  #wake(): void {
    const waiters = this.#waiters;
    if (waiters === undefined) return;
    this.#waiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /** Reads the sink's buffered bytes and whether it waits for 'drain' (getter walks: not per event). */
  #readSink(): void {
    this.#sinkBuffered = this.sink.buffered;
    this.#flags = this.sink.needsDrain ? this.#flags | SINK_NEEDS_DRAIN : this.#flags & ~SINK_NEEDS_DRAIN;
  }

  #listenForDrain(): void {
    if ((this.#flags & DRAIN_LISTENING) !== 0) return;
    this.#flags |= DRAIN_LISTENING;
    this.sink.onDrain(() => {
      this.#readSink();
      if (this.length > 0) scheduleFlush(this);
      else this.#wake();
    });
  }

  // ---- ending ----

  /** Ends the stream cleanly after writing what is queued. */
  end(reason: CloseReason): void {
    if ((this.#flags & CLOSED) !== 0) return;
    this.#flags |= ENDING;
    this.#teardown(reason);
    scheduleFlush(this);
  }

  /**
   * Ends the stream cleanly after what is queued, with a last `retry:` frame telling the client how
   * many milliseconds to wait before it reconnects (graceful drain). The frame is not bounded: it is the last.
   */
  endWithRetry(retryMs: number, reason: CloseReason = 'drain'): void {
    if ((this.#flags & CLOSED) !== 0) return;
    this.#pushLast(Buffer.from(`retry: ${Math.max(0, Math.floor(retryMs))}\n\n`), 0);
    this.end(reason);
  }

  /** Cuts the stream at once, dropping what is queued (used by close() after its grace period). */
  destroy(reason: CloseReason = 'server'): void {
    this.#flags &= ~ENDING;
    this.#teardown(reason);
    try {
      this.sink.destroy();
    } catch {
      // already gone
    }
  }

  #slowClient(): void {
    this.#teardown('slow-client');
    // The client is not reading: a graceful end would queue behind what it never reads.
    this.#guarded(() => this.sink.destroy());
  }

  #stopSource(): void {
    const source = this.#source;
    this.#source = undefined;
    if (!source) return;
    try {
      source.stop();
    } catch (err) {
      this.#settings.onError(err, this);
    }
  }

  /** Runs exactly once: stops the source, aborts the signal, releases timers. */
  #teardown(reason: CloseReason): void {
    if ((this.#flags & CLOSED) !== 0) return;
    this.#flags |= CLOSED;
    if (this.#commitTimer) {
      clearImmediate(this.#commitTimer);
      this.#commitTimer = undefined;
    }
    // Before start() it was never added: removing it then does nothing.
    this.#settings.heartbeats.remove(this, this.#settings.heartbeatMs);
    if ((this.#flags & ENDING) === 0) {
      cancelFlush(this);
      // What is dropped was never written.
      this.bytesWritten -= this.bytes;
      this.eventsWritten -= this.#pendingEvents;
      this.#pendingEvents = 0;
      this.clear();
    }
    this.#stopSource();
    try {
      this.sink.abort(ABORT_REASONS[reason]);
    } catch (err) {
      // An abort listener of the user's threw.
      this.#settings.onError(err, this);
    }
    this.#wake();
    this.#settings.onClose(this, reason);
  }
}
