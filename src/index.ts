// The package root, `eventide`: curated named exports only. Internals stay unexported.
export { EventideError, httpError, isEventideError } from './errors.js';
export type { EventideErrorCode, EventideErrorOptions } from './errors.js';
export type { MessageEvent } from './protocol/types.js';
export { encodeEvent, encodeComment } from './protocol/encode.js';
