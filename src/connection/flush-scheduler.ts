// Coalesced writes: connections queue frames during a turn of the event loop and are flushed
// together in one pass, each with a single write. A burst of events then costs one write per
// socket instead of one per event per socket.
import type { FrameJoiner } from './frame-queue.js';

/** A connection with frames waiting to be written. */
export interface Flushable {
  flush(pass: FlushPass): void;
}

/**
 * State shared by the connections flushed in one pass. Connections that received the very same
 * frames in the same order (subscribers of one channel) reuse one joined buffer instead of each
 * copying the burst; those whose queues share one array (see frame-queue.ts) are recognised
 * without comparing the frames.
 */
export class FlushPass implements FrameJoiner {
  #lastFrames: readonly Uint8Array[] | undefined;
  #lastCount = 0;
  #lastJoined: Uint8Array | undefined;

  /** Joins the first `count` of `frames`, reusing the previous join when the frames are identical. */
  join(frames: readonly Uint8Array[], count: number, totalBytes: number): Uint8Array {
    const last = this.#lastFrames;
    if (last !== undefined && count === this.#lastCount) {
      if (last === frames) return this.#lastJoined!;
      if (last[0] === frames[0]) {
        let same = true;
        for (let i = count - 1; i > 0; i--) {
          if (last[i] !== frames[i]) {
            same = false;
            break;
          }
        }
        if (same) return this.#lastJoined!;
      }
    }
    const joined = Buffer.concat(count === frames.length ? frames : frames.slice(0, count), totalBytes);
    this.#lastFrames = frames;
    this.#lastCount = count;
    this.#lastJoined = joined;
    return joined;
  }
}

// Two sets used in turn: connections marked dirty during a pass (by a write callback) go to the
// other set and wait for the next pass; no per-turn copy.
let dirty = new Set<Flushable>();
let flushing = new Set<Flushable>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const pass = new FlushPass();
  const batch = dirty;
  dirty = flushing;
  flushing = batch;
  for (const connection of batch) {
    try {
      connection.flush(pass);
    } catch (err) {
      // A connection guards its own flush; this only keeps one broken item from ending the pass.
      console.error('[eventide] a stream failed to flush', err);
    }
  }
  batch.clear();
}

/** Asks for `connection.flush()` once the current turn of the event loop has run. */
export function scheduleFlush(connection: Flushable): void {
  dirty.add(connection);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/** Drops a pending flush request (the connection closed). */
export function cancelFlush(connection: Flushable): void {
  dirty.delete(connection);
}
