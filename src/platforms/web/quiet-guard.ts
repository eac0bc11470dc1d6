// Keeps streams alive on a host whose idle limit eventide could not lift (Bun.serve when the
// Request is not the one Bun made): every stream that wrote nothing during one period gets an SSE
// comment line, so it is never quiet for more than two periods. One shared timer per limit,
// running only while such streams are open.

/** What the guard needs of a stream. */
export interface Guarded {
  /** True once something was written since the last call; resets the mark. */
  takeWrote(): boolean;
  /** Sends a comment line if the body has nothing pending. */
  keepAlive(): void;
}

/** A limit's period: two periods of quiet stay under the limit with a margin for timer lateness. */
const PERIOD_SHARE = 2.5;

const guards = new Map<number, { streams: Set<Guarded>; timer: ReturnType<typeof setInterval> }>();

/** Watches `stream` until {@link unwatchQuiet}: it sends something at least every `limitMs * 0.8`. */
export function watchQuiet(stream: Guarded, limitMs: number): void {
  let guard = guards.get(limitMs);
  if (!guard) {
    const streams = new Set<Guarded>();
    const timer = setInterval(() => {
      for (const s of streams) if (!s.takeWrote()) s.keepAlive();
    }, Math.floor(limitMs / PERIOD_SHARE));
    // The host's server keeps the process alive, not this timer.
    (timer as { unref?: () => void }).unref?.();
    guard = { streams, timer };
    guards.set(limitMs, guard);
  }
  guard.streams.add(stream);
}

export function unwatchQuiet(stream: Guarded, limitMs: number): void {
  const guard = guards.get(limitMs);
  if (!guard || !guard.streams.delete(stream) || guard.streams.size > 0) return;
  clearInterval(guard.timer);
  guards.delete(limitMs);
}
