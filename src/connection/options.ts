import { countRule, numberOption, timerRule, type NumberRule } from '../options/validate.js';

/** Per-connection limits and timings. Set app-wide in `createApp`, per route in `@Sse`. */
export interface StreamOptions {
  /** Milliseconds between heartbeat comments on an otherwise quiet stream; 0 disables. Default 15000. */
  heartbeatMs?: number;
  /**
   * Most bytes a connection may hold unsent (queued plus buffered in the socket) before it counts as
   * a slow client and is closed. Default 2 MiB.
   */
  maxBufferedBytes?: number;
  /** Most events a connection may hold unsent before it counts as a slow client. Default 10000. */
  maxQueuedEvents?: number;
}

export const STREAM_DEFAULTS: Required<StreamOptions> = {
  heartbeatMs: 15_000,
  maxBufferedBytes: 2 * 1024 * 1024,
  maxQueuedEvents: 10_000,
};

const RULES: Record<keyof StreamOptions, NumberRule> = {
  heartbeatMs: timerRule(STREAM_DEFAULTS.heartbeatMs),
  maxBufferedBytes: countRule(STREAM_DEFAULTS.maxBufferedBytes, 1),
  maxQueuedEvents: countRule(STREAM_DEFAULTS.maxQueuedEvents, 1),
};

/**
 * Merges option layers (app, then route) over the defaults. Throws `EVENTIDE_INVALID_OPTION` for a
 * value out of range (timers: 0 or 1 ms to 2^31-1 ms), naming `where` it was set.
 */
export function resolveStreamOptions(where: string, ...layers: (StreamOptions | undefined)[]): Required<StreamOptions> {
  const out = { ...STREAM_DEFAULTS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(STREAM_DEFAULTS) as (keyof StreamOptions)[]) {
      out[key] = numberOption(where, key, layer[key], { ...RULES[key], fallback: out[key] });
    }
  }
  return out;
}
