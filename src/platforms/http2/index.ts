// The node:http2 platform: createApp({ http2 }) serves the route core over HTTP/2 (TLS or h2c).
export { createHttp2App } from './create-app.js';
export type { Http2App, Http2Handler } from './create-app.js';
export { resolveHttp2 } from './options.js';
export type { Http2Options } from './options.js';
