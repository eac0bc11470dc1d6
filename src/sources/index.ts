// Sources: turn whatever a handler returned into one subscription with a single teardown.
import { EventideError } from '../errors.js';
import { fromObservable, isObservableLike } from './observable.js';
import { fromAsyncIterable, fromReadableStream, isAsyncIterable, isReadableStream } from './pull.js';
import type { StreamSource } from './types.js';

import { FRAME_SOURCE, type FrameSourceProvider } from './types.js';

export { FRAME_SOURCE } from './types.js';
export type { FrameSourceProvider, SourceSink, StreamSource } from './types.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return typeof value;
}

/**
 * Adapts a handler's (already awaited) return value. Throws `EVENTIDE_INVALID_SOURCE` for
 * anything that is not an Observable, an AsyncIterable or a ReadableStream.
 */
export function toSource(value: unknown): StreamSource {
  if (typeof value === 'object' && value !== null && typeof (value as Partial<FrameSourceProvider>)[FRAME_SOURCE] === 'function') {
    return (value as FrameSourceProvider)[FRAME_SOURCE]();
  }
  if (isReadableStream(value)) return fromReadableStream(value);
  if (isObservableLike(value)) return fromObservable(value);
  if (isAsyncIterable(value)) return fromAsyncIterable(value);
  throw new EventideError(
    'EVENTIDE_INVALID_SOURCE',
    `an @Sse handler must return an Observable, an AsyncIterable (e.g. an async generator), a ReadableStream, ` +
      `or a Promise of one; it returned ${describe(value)}`,
  );
}
