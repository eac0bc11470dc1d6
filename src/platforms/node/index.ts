// The node:http platform: createApp's embedded server (the default) and the node Exchange that
// other Node-based platforms (Express, Fastify, HTTP/2) build on.
export { createApp } from './create-app.js';
export type { App, AppOptions, AppStats } from './create-app.js';
export type { Http2App, Http2Handler, Http2Options } from '../http2/index.js';
