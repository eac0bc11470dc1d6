// createFetchHandler: eventide for hosts that speak Request -> Response (Bun.serve, Deno.serve,
// Hono, Node through a fetch adapter).
import { createCore, type AppStats, type CoreOptions } from '../../core/app-core.js';
import { defineOperations, type AppOperations } from '../../operations/app-operations.js';
import { fetchHandlerOf, type FetchHandler } from './serve.js';

/** Options of {@link createFetchHandler}: the same as `createApp`'s. */
export type FetchAppOptions = CoreOptions;

/** An eventide app as a fetch handler, with no server of its own. `drain()` ends its streams and closes it. */
export interface FetchApp extends AppOperations {
  /**
   * Serves one request. Bound: pass it as is (`Bun.serve({ fetch: app.fetch })`,
   * `Deno.serve(app.fetch)`, `honoApp.mount('/events', app.fetch)`).
   */
  readonly fetch: FetchHandler;
  /**
   * Refuses new streams (503), ends open ones cleanly and cuts, after `closeGraceMs`, what is
   * left. Stopping the host's server is up to you.
   */
  close(): Promise<void>;
  /** Live counters. */
  readonly stats: Readonly<AppStats>;
}

/**
 * Creates an app from controllers, served through a fetch handler.
 *
 * @example
 * ```ts
 * import { createFetchHandler } from 'eventide/web';
 * const app = createFetchHandler({ controllers: [ClockController] });
 * Bun.serve({ port: 3000, fetch: app.fetch });   // or Deno.serve({ port: 3000 }, app.fetch)
 * ```
 */
export function createFetchHandler(options: FetchAppOptions): FetchApp {
  const core = createCore(options, 'createFetchHandler');
  const close = () => core.close();
  return defineOperations({ fetch: fetchHandlerOf(core), stats: core.stats, close }, core, close);
}
