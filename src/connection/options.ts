import { EventideError } from '../errors.js';

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

/**
 * Merges option layers (app, then route) over the defaults. Throws `EVENTIDE_INVALID_OPTION` for a
 * value that is not a non-negative number, naming `where` it was set.
 */
export function resolveStreamOptions(where: string, ...layers: (StreamOptions | undefined)[]): Required<StreamOptions> {
  const out = { ...STREAM_DEFAULTS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(STREAM_DEFAULTS) as (keyof StreamOptions)[]) {
      const value = layer[key];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new EventideError('EVENTIDE_INVALID_OPTION', `${where} option ${key} must be a non-negative number, got ${String(value)}`);
      }
      out[key] = value;
    }
  }
  return out;
}
