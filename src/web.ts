// The `eventide/web` entry point: eventide as a fetch handler for Bun.serve, Deno.serve, Hono and
// Node fetch adapters. Controllers, decorators and the Hub come from `eventide` as usual.
export { createFetchHandler } from './platforms/web/index.js';
export type { FetchApp, FetchAppOptions, FetchHandler } from './platforms/web/index.js';
export type { AppStats } from './core/app-core.js';
import type { RequestContext } from './core/context.js';

/** A handler's context on the fetch platform: `ctx.req` is the web `Request`, `ctx.res` is `undefined`. */
export type WebRequestContext = RequestContext<Request, undefined>;
