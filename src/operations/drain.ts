// The staggered end of a graceful drain: every open stream gets a last `retry:` (with jitter) and
// is ended at its own time, spread evenly over `withinMs`, so its clients reconnect to the other
// processes gradually instead of all at once. One timer serves every stream.
import type { SseConnection } from '../connection/connection.js';
import { EventideError } from '../errors.js';
import { MAX_TIMER_MS } from '../options/validate.js';

/** Options of `app.drain()`. */
export interface DrainOptions {
  /**
   * Milliseconds over which open streams are ended, evenly spaced (default 5000; 0 ends them all
   * at once). Clients therefore leave at about (open streams / withinMs) per millisecond.
   */
  withinMs?: number;
  /**
   * The reconnection delay each ended stream's client is told (`retry:`), in milliseconds, before
   * jitter (default 1000).
   */
  retryMs?: number;
  /**
   * Milliseconds over which the streams' `retry:` values are spread (each gets retryMs plus 0 to
   * this). Default: the spacing between two ends (withinMs / open streams), at least 300, at most
   * retryMs / 2. The offsets are not random: stream i gets the fractional part of i times the
   * golden ratio, times jitterMs, so any run of streams ended together (by a stalled event loop,
   * or read together by a stalled client) is spread evenly over jitterMs instead of coming back
   * at one instant, and ends made on time keep an even rate.
   */
  jitterMs?: number;
}

/** Drain options with defaults applied and checked. */
export interface ResolvedDrain {
  withinMs: number;
  retryMs: number;
  jitterMs: number | undefined;
}

function checkMs(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `${where} option \`${name}\` must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(value)}`);
  }
  return Math.floor(value);
}

export function resolveDrain(where: string, options: DrainOptions | undefined): ResolvedDrain {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `${where} takes an object like { withinMs: 5000 }`);
  }
  return {
    withinMs: checkMs(where, 'withinMs', options?.withinMs, 5000),
    retryMs: checkMs(where, 'retryMs', options?.retryMs, 1000),
    jitterMs: options?.jitterMs === undefined ? undefined : checkMs(where, 'jitterMs', options.jitterMs, 0),
  };
}

/** How much faster than the nominal rate a late drain may end streams to catch up, ... */
const CATCH_UP = 1.5;
/** ... judged over every span of this many milliseconds. */
const SPAN_MS = 100;

/** The least default jitter: wider than the event-loop stalls a busy process or client may have. */
const MIN_DEFAULT_JITTER_MS = 300;
/** The fractional part of the golden ratio: successive multiples of it fill [0, 1) most evenly. */
const GOLDEN_FRACTION = (Math.sqrt(5) - 1) / 2;

/** The jitter a drain of `streams` streams uses. */
export function jitterFor({ withinMs, retryMs, jitterMs }: ResolvedDrain, streams: number): number {
  return jitterMs ?? Math.min(retryMs / 2, Math.max(MIN_DEFAULT_JITTER_MS, withinMs / Math.max(1, streams)));
}

/** The `retry:` of the i-th stream to end: evenly spread offsets for any run of consecutive streams. */
export function retryFor(index: number, retryMs: number, jitter: number): number {
  return Math.round(retryMs + ((index * GOLDEN_FRACTION) % 1) * jitter);
}

/**
 * Ends `connections` spread over `withinMs` (in a random order, so no route or client group leaves
 * first). Returns a function that ends every stream still waiting at once.
 */
export function staggerEnds(connections: readonly SseConnection[], settings: ResolvedDrain): () => void {
  const { withinMs, retryMs } = settings;
  const jitter = jitterFor(settings, connections.length);
  const order = [...connections];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const n = order.length;
  let next = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = performance.now();
  const endUpTo = (count: number) => {
    for (; next < count; next++) order[next]!.endWithRetry(retryFor(next, retryMs, jitter));
  };
  // Stream i leaves at (i + 1/2) * withinMs / n: even spacing, the last one before withinMs. No
  // span of SPAN_MS ends more than CATCH_UP times its nominal share: a stalled or starved event
  // loop catches up at that pace instead of in one burst, and a loop whose timers fire late still
  // keeps up (the drain may then take a little longer than withinMs).
  const interval = Math.max(2, Math.min(20, withinMs / Math.max(1, n)));
  const perSpan = Math.max(1, Math.floor((CATCH_UP * SPAN_MS * n) / Math.max(1, withinMs)));
  const recent: { at: number; count: number }[] = []; // this span's ticks that ended streams
  let inSpan = 0;
  const tick = () => {
    timer = undefined;
    const now = performance.now();
    while (recent.length > 0 && recent[0]!.at <= now - SPAN_MS) inSpan -= recent.shift()!.count;
    const due = Math.min(n, Math.floor(((now - started) * n) / Math.max(1, withinMs) + 0.5));
    const count = Math.min(due - next, perSpan - inSpan);
    if (count > 0) {
      endUpTo(next + count);
      // Stamped after the ends, so the span counts from the last of them.
      recent.push({ at: performance.now(), count });
      inSpan += count;
    }
    if (next < n) timer = setTimeout(tick, interval);
  };
  if (withinMs === 0) endUpTo(n);
  else tick();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    endUpTo(n);
  };
}
