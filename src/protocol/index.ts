// The protocol layer: the `MessageEvent` type, the encoder and the incremental parser.
// Browser-safe: nothing here imports from `node:`. Published as `eventide/protocol`.
export type { MessageEvent, ParsedEvent } from './types.js';
export { encodeEvent, encodeComment } from './encode.js';
export { createParser } from './parse.js';
export type { Parser, ParserOptions, ParseError } from './parse.js';
