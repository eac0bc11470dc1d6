// The frames a connection has not written yet, and their byte count, kept together: every way in
// and out goes through this class, so the count can never go stale beside the list.

/** An ordered queue of encoded frames with its total size. */
export class FrameQueue {
  #frames: Uint8Array[] = [];
  #bytes = 0;

  /** Frames queued. */
  get length(): number {
    return this.#frames.length;
  }

  /** Bytes queued. */
  get bytes(): number {
    return this.#bytes;
  }

  push(frame: Uint8Array): void {
    this.#frames.push(frame);
    this.#bytes += frame.length;
  }

  /**
   * Takes everything queued as one chunk: the frame itself when there is one, else `join(frames,
   * bytes)`. The queue is empty afterwards. The array handed to `join` is never reused, so a join
   * may keep it to recognise the same burst on another connection.
   */
  take(joiner: { join(frames: Uint8Array[], bytes: number): Uint8Array }): Uint8Array | undefined {
    const frames = this.#frames;
    if (frames.length === 0) return undefined;
    const bytes = this.#bytes;
    this.#bytes = 0;
    if (frames.length === 1) {
      const only = frames[0];
      frames.length = 0; // a quiet stream keeps its array
      return only;
    }
    this.#frames = [];
    return joiner.join(frames, bytes);
  }

  clear(): void {
    this.#frames = [];
    this.#bytes = 0;
  }
}
