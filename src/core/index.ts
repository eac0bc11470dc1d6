// The route core: serves a request presented as an Exchange, knowing no HTTP server. Platforms
// (src/platforms/*) adapt their HTTP stack to it. Internal: nothing here is exported to users.
export { createCore } from './app-core.js';
export type { AppCore, CoreOptions, AppStats } from './app-core.js';
export type { AbortListener, Exchange, FileBody, FinishListener } from './exchange.js';
