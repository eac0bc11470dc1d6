// eventide/client on Node: the same API as the browser-safe entry (index.ts), with event sources
// that make their requests through node:http and node:https instead of `fetch` unless given a
// `fetch` option. Bun and Deno keep their own `fetch`, which is native there.
import { nodeTransport } from './node-transport.js';
import { setDefaultTransport } from './transport.js';

const runtime = globalThis as { Bun?: unknown; Deno?: unknown };
if (runtime.Bun === undefined && runtime.Deno === undefined) setDefaultTransport(nodeTransport);

export * from './index.js';
