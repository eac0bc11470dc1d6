import type { SourceSink, StreamSource } from './types.js';

/** Reads the next value of a pull source; `done` ends it. */
type Pull = () => Promise<{ done?: boolean; value?: unknown }>;

/**
 * Shared loop of the pull sources (async iterables, web streams): pull only when the connection
 * is ready for more, so a client that does not read stops the producer instead of filling memory.
 */
function pullLoop(pull: Pull, release: () => void): StreamSource {
  let stopped = false;
  let released = false;
  const releaseOnce = () => {
    if (released) return;
    released = true;
    try {
      release();
    } catch {
      // Teardown of a producer that already failed has nothing left to report to.
    }
  };
  return {
    start(sink: SourceSink) {
      void (async () => {
        try {
          while (!stopped) {
            const wait = sink.ready();
            if (wait) await wait;
            if (stopped) break;
            const result = await pull();
            if (stopped) break;
            if (result.done) {
              released = true; // a finished producer needs no return()/cancel()
              sink.complete();
              return;
            }
            sink.next(result.value);
          }
        } catch (err) {
          released = true;
          if (!stopped) sink.error(err);
        }
      })();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      releaseOnce();
    },
  };
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** An async iterable (e.g. an async generator): `return()` is called when the client goes away. */
export function fromAsyncIterable(iterable: AsyncIterable<unknown>): StreamSource {
  const iterator = iterable[Symbol.asyncIterator]();
  return pullLoop(
    () => iterator.next(),
    () => {
      // return() on a generator suspended at `yield` runs its finally blocks.
      void iterator.return?.()?.catch?.(() => undefined);
    },
  );
}

export function isReadableStream(value: unknown): value is ReadableStream<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { getReader?: unknown }).getReader === 'function' &&
    typeof (value as { cancel?: unknown }).cancel === 'function'
  );
}

const utf8 = new TextDecoder();

/** A web ReadableStream: each chunk is one event value; bytes are read as UTF-8 text data. */
export function fromReadableStream(stream: ReadableStream<unknown>): StreamSource {
  const reader = stream.getReader();
  return pullLoop(
    async () => {
      const result = await reader.read();
      if (!result.done && result.value instanceof Uint8Array) {
        return { done: false, value: utf8.decode(result.value) };
      }
      return result;
    },
    () => {
      void reader.cancel().catch(() => undefined);
    },
  );
}
