// fromEventSource: a cold rxjs Observable over eventide's EventSource, the client-side mirror of the
// Observables that `@Sse` handlers return. Browser-safe: no `node:` imports.
import { Observable } from 'rxjs';
import { EventSource } from './event-source.js';
import { tapEventSource } from './tap.js';
import type { EventSourceOptions } from './options.js';
import { ERROR_EVENT, serverError } from './signals.js';

/**
 * A cold Observable of the stream's events: each subscription opens its own connection, and
 * unsubscribing closes it. It emits every event whatever its type (`event.type` tells them apart),
 * reconnects as `EventSource` does, completes when the server answers 204 (or `options.signal`
 * aborts), and errors with an `EventideError` when the connection fails for good
 * (`EVENTIDE_CLIENT_BAD_RESPONSE` for a wrong status or content type, `EVENTIDE_CLIENT_NETWORK`
 * when retries over network errors are exhausted or disabled, `EVENTIDE_CLIENT_EVENT_TOO_LARGE`
 * when an event passes `maxEventSize`, which a bare `EventSource` drops silently). When an eventide
 * server ends the stream with `eventide-error`, it errors with the server's code and message and
 * does not reconnect.
 *
 * @param url - the stream's absolute URL (or relative to the page in a browser).
 * @param options - as for `new EventSource(url, options)`.
 * @example
 * ```ts
 * import { fromEventSource } from 'eventide/client';
 * import { filter, map, take } from 'rxjs';
 * fromEventSource('http://localhost:3000/news')
 *   .pipe(filter((e) => e.type === 'headline'), map((e) => JSON.parse(e.data)), take(10))
 *   .subscribe((headline) => console.log(headline.title));
 * ```
 */
export function fromEventSource(url: string | URL, options: EventSourceOptions = {}): Observable<MessageEvent<string>> {
  return new Observable<MessageEvent<string>>((subscriber) => {
    const signal = options.signal;
    if (signal?.aborted) {
      subscriber.complete();
      return undefined;
    }
    const source = new EventSource(url, options);
    tapEventSource(source, {
      // The server's eventide-error ends the stream on purpose: error out, do not reconnect.
      event: (event) => (event.type === ERROR_EVENT ? subscriber.error(serverError(event.data, source.url)) : subscriber.next(event)),
      failed: (reason) => (reason === undefined ? subscriber.complete() : subscriber.error(reason)),
      // Unlike a bare EventSource, which drops it, an oversize event errors: nothing is lost silently.
      dropped: (reason) => subscriber.error(reason),
    });
    const onAbort = () => subscriber.complete();
    signal?.addEventListener('abort', onAbort, { once: true });
    return () => {
      signal?.removeEventListener('abort', onAbort);
      source.close();
    };
  });
}
