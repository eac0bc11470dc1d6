// The server layer: createApp on node:http.
export { createApp } from './create-app.js';
export type { App, AppOptions, AppStats } from './create-app.js';
