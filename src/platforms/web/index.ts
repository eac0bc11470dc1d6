// The web platform: eventide as a fetch handler (Request -> Response) for Bun, Deno, Hono and Node
// fetch adapters.
export { createFetchHandler } from './create-fetch-handler.js';
export type { FetchApp, FetchAppOptions } from './create-fetch-handler.js';
export type { FetchHandler } from './serve.js';
