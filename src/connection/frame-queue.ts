// The frames a connection has not written yet, and their byte count, kept together: every way in
// and out goes through this class, so the count can never go stale beside the list.
//
// Connections of one channel receive the very same frames in the same order during a turn (a hub's
// fan-out, an rxjs Subject). So that a burst of N events to M connections does not build M arrays of
// N entries, a queue that starts with the frame another queue started with follows that queue's
// array: it only checks, per frame, that the entry at its position is the same frame, and counts.
// On the first difference it copies its prefix into an array of its own. An array that others may
// follow is only ever appended to, so a follower's prefix never changes under it.

/** The queue whose array was started last: the one a queue starting now may follow. */
let lastStarted: FrameQueue | undefined;

/** The array of a queue that has queued nothing yet: shared, never written (a held idle stream makes no array). */
const NONE: Uint8Array[] = [];
// Bits of #state.
const FOLLOWING = 1;
// Another queue follows this one's array: it must not be emptied in place when taken.
const FOLLOWED = 2;

/** Leaves a queue's array as it is (others may follow it); its next push starts a fresh one. */
let release: (queue: FrameQueue) => void;

/** Joins frames into one buffer (the flush pass, which reuses joins across connections). */
export interface FrameJoiner {
  /** Joins the first `count` entries of `frames` (`bytes` in total) into one buffer. */
  join(frames: readonly Uint8Array[], count: number, bytes: number): Uint8Array;
}

/** An ordered queue of encoded frames with its total size. */
export class FrameQueue {
  // Own array, or another queue's when following it (then only the first #count entries are ours),
  // or NONE until the first push.
  #frames: Uint8Array[] = NONE;
  #count = 0;
  #bytes = 0;
  // FOLLOWING and FOLLOWED in one field (every held stream has a queue).
  #state = 0;

  /** Frames queued. */
  get length(): number {
    return this.#count;
  }

  /** Bytes queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues `frame` whatever the size of the queue; returns how many frames are queued now. */
  push(frame: Uint8Array): number {
    return this.pushWithin(frame, Infinity, Infinity);
  }

  /**
   * Queues `frame` unless the queue would then hold more than `maxCount` frames or `maxBytes`
   * bytes; returns how many frames are queued now, or 0 when it refused the frame. One call does
   * the bound check and the push: a connection makes it per event per subscriber.
   */
  pushWithin(frame: Uint8Array, maxCount: number, maxBytes: number): number {
    const count = this.#count;
    if (count >= maxCount || this.#bytes + frame.length > maxBytes) return 0;
    this.#bytes += frame.length;
    this.#count = count + 1;
    if ((this.#state & FOLLOWING) !== 0) {
      if (this.#frames[count] === frame) return count + 1;
      // Different from the run it followed: from here on, an array of its own.
      this.#frames = this.#frames.slice(0, count);
      this.#state &= ~FOLLOWING;
    } else if (count === 0) {
      const leader = lastStarted;
      if (leader !== undefined && leader !== this && leader.#frames[0] === frame) {
        leader.#state |= FOLLOWED;
        this.#frames = leader.#frames;
        this.#state |= FOLLOWING;
        return 1;
      }
      lastStarted = this;
      if (this.#frames === NONE) this.#frames = [];
    }
    this.#frames.push(frame);
    return count + 1;
  }

  /**
   * Takes everything queued as one chunk: the frame itself when there is one, else
   * `joiner.join(...)`. The queue is empty afterwards. The array handed to `join` is never changed
   * in its first `count` entries, so a join may keep it to recognise the same burst on another
   * connection.
   */
  take(joiner: FrameJoiner): Uint8Array | undefined {
    const count = this.#count;
    if (count === 0) return undefined;
    const frames = this.#frames;
    const bytes = this.#bytes;
    this.#count = 0;
    this.#bytes = 0;
    // The array goes (emptying it in place would free its storage anyway): a held stream that
    // has written keeps no array while quiet.
    release(this);
    return count === 1 ? frames[0] : joiner.join(frames, count, bytes);
  }

  clear(): void {
    this.#count = 0;
    this.#bytes = 0;
    release(this);
  }

  static {
    // A function rather than a private method: a class with private methods costs each instance a field.
    release = (queue) => {
      queue.#frames = NONE;
      queue.#state = 0;
      if (lastStarted === queue) lastStarted = undefined;
    };
  }
}
