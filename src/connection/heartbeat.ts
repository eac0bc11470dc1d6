// One timer per heartbeat interval serves every connection using that interval: an idle
// connection costs no timer of its own.

/** Something that can be sent a heartbeat. */
export interface HeartbeatTarget {
  heartbeat(): void;
}

interface Beat {
  timer: ReturnType<typeof setInterval>;
  targets: Set<HeartbeatTarget>;
}

/** Groups heartbeat targets by interval; owned by one app. */
export class HeartbeatScheduler {
  readonly #beats = new Map<number, Beat>();

  /** Starts beating `target` every `intervalMs` (0 or less: never). */
  add(target: HeartbeatTarget, intervalMs: number): void {
    if (!(intervalMs > 0)) return;
    let beat = this.#beats.get(intervalMs);
    if (!beat) {
      const targets = new Set<HeartbeatTarget>();
      const timer = setInterval(() => {
        for (const t of targets) t.heartbeat();
      }, intervalMs);
      // Heartbeats alone must not keep a process alive.
      timer.unref();
      beat = { timer, targets };
      this.#beats.set(intervalMs, beat);
    }
    beat.targets.add(target);
  }

  /** Stops beating `target` (added with the same interval); the last target stops the timer. */
  remove(target: HeartbeatTarget, intervalMs: number): void {
    const beat = this.#beats.get(intervalMs);
    if (!beat || !beat.targets.delete(target)) return;
    if (beat.targets.size === 0) {
      clearInterval(beat.timer);
      this.#beats.delete(intervalMs);
    }
  }

  /** How many timers are running (one per distinct interval in use). */
  get timerCount(): number {
    return this.#beats.size;
  }
}
