// events(): the stream as an async iterator, with event data narrowed by type. Browser-safe.
import { EventideError } from '../errors.js';
import { EventSource } from './event-source.js';
import { tapEventSource } from './tap.js';
import type { EventSourceOptions } from './options.js';
import { ERROR_EVENT, GAP_EVENT, gapData, serverError, type GapData } from './signals.js';

/** Event type -> data type, e.g. `{ headline: { title: string }; tick: number }`. */
export type EventMap = Record<string, unknown>;

/** One event as {@link events} yields it. */
export interface TypedEvent<K extends string = string, T = unknown> {
  /** The event name (`message` when the stream named none). */
  readonly type: K;
  /** The data, turned into a value by the `parse` option. */
  readonly data: T;
  /** The last event id seen so far on the stream. */
  readonly lastEventId: string;
  /** The origin of the stream's final URL. */
  readonly origin: string;
}

/**
 * A hub's gap signal as {@link events} yields it, whatever `parse` says: some events after
 * `data.lastEventId` on `data.channels` could not be replayed, so reload the state they affect.
 * The stream goes on with live events; `lastEventId` is the stream's position after the signal.
 */
export type GapEvent = TypedEvent<typeof GAP_EVENT, GapData>;

/**
 * The union of {@link TypedEvent}s described by an {@link EventMap}, plus the {@link GapEvent}:
 * checking `type` narrows `data`. (With the default map, whose keys are any string, use
 * {@link isGap} to narrow to the gap signal.)
 */
export type EventOf<M extends EventMap> = { [K in keyof M & string]: TypedEvent<K, M[K]> }[keyof M & string] | GapEvent;

/** True when an event from {@link events} is the hub's gap signal; narrows it to {@link GapEvent}. */
export function isGap(event: TypedEvent): event is GapEvent {
  return event.type === GAP_EVENT;
}

/**
 * How {@link events} turns the data text into a value:
 * - `'auto'` (default): JSON for object payloads, text otherwise. Data whose first character is
 *   `{` or `[` is parsed with `JSON.parse` (kept as text if that fails); anything else stays a string.
 *   This mirrors eventide's server, which JSON-encodes objects and arrays and sends strings as they are.
 * - `'json'`: `JSON.parse` every event; data that is not JSON ends the iteration with
 *   `EVENTIDE_CLIENT_BAD_RESPONSE`. Use it when numbers and booleans are in the map.
 * - `'text'`: the string, untouched.
 * - a function `(data, type) => value`: yours; if it throws, the iteration ends with that error.
 */
export type DataParse = 'auto' | 'json' | 'text' | ((data: string, type: string) => unknown);

/** Options of {@link events}: those of `EventSource`, plus how to parse and how much to buffer. */
export interface EventsOptions extends EventSourceOptions {
  /** How data text becomes a value (default `'auto'`, see {@link DataParse}). */
  parse?: DataParse;
  /**
   * The largest event, as for `EventSource` (default 16 MiB). Unlike `EventSource`, which drops a
   * bigger event and goes on, the loop then ends with `EVENTIDE_CLIENT_EVENT_TOO_LARGE`: nothing is
   * lost without notice.
   */
  maxEventSize?: number;
  /**
   * The most events one chunk of the response may hold (default 10000). While the loop body is
   * busy with earlier events the response is not read at all (backpressure: the server is slowed
   * down by the transport), so only the events of the chunk read last wait here. A chunk with more
   * ends the iteration with `EVENTIDE_SLOW_CLIENT`, so memory stays bounded.
   */
  maxBuffered?: number;
}

function parserFor(parse: DataParse): (data: string, type: string) => unknown {
  if (typeof parse === 'function') return parse;
  switch (parse) {
    case 'text':
      return (data) => data;
    case 'json':
      return (data, type) => {
        try {
          return JSON.parse(data);
        } catch (error) {
          throw new EventideError(
            'EVENTIDE_CLIENT_BAD_RESPONSE',
            `event "${type}" carries data that is not JSON (${(error as Error).message}); use parse: 'text' or 'auto' for text events`,
            { cause: error, status: 502 },
          );
        }
      };
    case 'auto':
      return (data) => {
        const first = data.charCodeAt(0);
        if (first !== 0x7b && first !== 0x5b) return data; // not `{` or `[`
        try {
          return JSON.parse(data);
        } catch {
          return data;
        }
      };
    default:
      throw new EventideError('EVENTIDE_INVALID_OPTION', `events() option parse must be 'auto', 'json', 'text' or a function, got ${String(parse)}`);
  }
}

/**
 * The stream as an async iterator: `for await (const event of events(url))`. The connection opens
 * on the first `next()` and closes when the loop ends (`break`, `return`, a throw in the body).
 * It reconnects as `EventSource` does; the loop ends normally when the server answers 204 (or
 * `options.signal` aborts), and throws an `EventideError` when the connection fails for good.
 *
 * Give the type parameter an {@link EventMap} to narrow `data` by `type`. The map is a promise
 * the caller makes about the stream; the `parse` option is what makes it true at run time.
 *
 * @example
 * ```ts
 * import { events } from 'eventide/client';
 * for await (const event of events<{ headline: { title: string }; message: string }>('http://localhost:3000/news')) {
 *   if (event.type === 'headline') console.log(event.data.title); // data: { title: string }
 *   else console.log(event.data.toUpperCase());                   // data: string
 * }
 * ```
 */
export function events<M extends EventMap = Record<string, unknown>>(
  url: string | URL,
  options: EventsOptions = {},
): AsyncIterableIterator<EventOf<M>> {
  const { parse = 'auto', maxBuffered = 10_000, ...sourceOptions } = options;
  const toValue = parserFor(parse);
  const buffered: EventOf<M>[] = [];
  let source: EventSource | undefined;
  let finished = false;
  let failure: { error: unknown } | undefined;
  // Resolves the source's wait for the loop to take the buffered events (backpressure).
  let resume: (() => void) | undefined;
  // Pending next() calls, oldest first: a caller may ask for several events without awaiting.
  const waiters: { resolve: (result: IteratorResult<EventOf<M>>) => void; reject: (error: unknown) => void }[] = [];

  function settle(): void {
    while (waiters.length > 0) {
      if (buffered.length > 0) {
        waiters.shift()!.resolve({ value: buffered.shift()!, done: false });
      } else if (failure) {
        const { error } = failure;
        failure = undefined; // thrown once; later calls report done
        waiters.shift()!.reject(error);
      } else if (finished) {
        waiters.shift()!.resolve({ value: undefined, done: true });
      } else {
        break;
      }
    }
    if (buffered.length === 0 || finished) wake();
  }

  function wake(): void {
    const go = resume;
    resume = undefined;
    go?.();
  }

  function finish(error?: unknown): void {
    if (finished) return;
    finished = true;
    source?.close();
    options.signal?.removeEventListener('abort', onAbort);
    // Events that came before the failure are still delivered, then the error is thrown.
    if (error !== undefined) failure = { error };
    settle();
  }
  const onAbort = () => finish();

  function start(): void {
    if (source || finished) return;
    if (options.signal?.aborted) return finish();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      source = new EventSource(url, sourceOptions);
    } catch (error) {
      finish(error);
      return;
    }
    const streamUrl = source.url;
    tapEventSource(source, {
      event(event) {
        if (finished) return;
        if (event.type === ERROR_EVENT) {
          // The server ended the stream on purpose: reconnecting would only run the failure again.
          finish(serverError(event.data, streamUrl));
          return;
        }
        if (buffered.length >= maxBuffered) {
          finish(
            new EventideError(
              'EVENTIDE_SLOW_CLIENT',
              `events() received more than ${maxBuffered} events in one chunk of the response; raise maxBuffered`,
            ),
          );
          return;
        }
        let data: unknown;
        try {
          data = event.type === GAP_EVENT ? gapData(event.data) : toValue(event.data, event.type);
        } catch (error) {
          finish(error);
          return;
        }
        buffered.push(Object.freeze({ type: event.type, data, lastEventId: event.lastEventId, origin: event.origin }) as EventOf<M>);
        settle();
      },
      failed(reason) {
        finish(reason);
      },
      dropped(reason) {
        finish(reason);
      },
      ready() {
        if (finished || buffered.length === 0) return undefined;
        return new Promise<void>((resolve) => {
          resume = resolve;
        });
      },
    });
  }

  const iterator: AsyncIterableIterator<EventOf<M>> = {
    next() {
      start();
      return new Promise((resolve, reject) => {
        waiters.push({ resolve, reject });
        settle();
      });
    },
    async return(value?: unknown) {
      finish();
      buffered.length = 0;
      failure = undefined;
      return { value: value as EventOf<M>, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
