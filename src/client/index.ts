// eventide/client: a WHATWG EventSource for Node >= 20 and browsers, and the Observable and
// async-iterator helpers built on it. Browser-safe: nothing here imports from `node:`.
export { EventSource } from './event-source.js';
export type { EventSourceEvents, EventSourceHandler, EventSourceLike, EventSourceListener } from './types.js';
export type { BackoffOptions, EventSourceOptions, ReconnectOptions } from './options.js';
export { fromEventSource } from './observable.js';
export { events, isGap } from './iterator.js';
export type { DataParse, EventMap, EventOf, EventsOptions, GapEvent, TypedEvent } from './iterator.js';
export type { GapData } from './signals.js';
