import { EventideError } from '../errors.js';
import type { AbortListener, Exchange } from './exchange.js';

/** The abort reason of a request whose client went away. */
export function clientGone(): EventideError {
  return new EventideError('EVENTIDE_CLOSED', 'the client went away');
}

/**
 * An AbortController made only when someone asks for its signal: most streams never look at
 * `ctx.signal`, and an AbortController with its EventTarget costs about 1 KB per connection.
 *
 * Abort listeners are user code: one that throws would surface as an uncaught exception (that is
 * how EventTarget reports listener errors) and take the process down. Listeners added to this
 * signal are therefore guarded; their errors go to `report`.
 */
export class LazyAbort implements AbortListener {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  // The reporter is shared and told which request an error is about: no closure per request.
  readonly #report: ((err: unknown, exchange: Exchange) => void) | undefined;
  readonly #exchange: Exchange | undefined;

  /** `report(err, exchange)` hears of errors thrown by abort listeners of the request `exchange`. */
  constructor(report?: (err: unknown, exchange: Exchange) => void, exchange?: Exchange) {
    this.#report = report;
    this.#exchange = exchange;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      this.#guardListeners(this.#controller.signal);
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** The client went away: aborts with the `EVENTIDE_CLOSED` reason {@link clientGone} makes. */
  clientAborted(): void {
    this.abort(clientGone());
  }

  /** Aborts once; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  #guardListeners(signal: AbortSignal): void {
    const reporter = this.#report;
    const exchange = this.#exchange;
    const report = (err: unknown) => {
      if (reporter && exchange) reporter(err, exchange);
    };
    const wrapped = new WeakMap<object, EventListener>();
    const guard = (listener: EventListenerOrEventListenerObject): EventListener => {
      let safe = wrapped.get(listener);
      if (!safe) {
        safe = function (this: unknown, event: Event) {
          try {
            if (typeof listener === 'function') listener.call(this, event);
            else listener.handleEvent(event);
          } catch (err) {
            report(err);
          }
        };
        wrapped.set(listener, safe);
      }
      return safe;
    };
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) => {
      if (listener !== null) add(type, guard(listener), options);
    }) as AbortSignal['addEventListener'];
    signal.removeEventListener = ((type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions) => {
      if (listener !== null) remove(type, wrapped.get(listener) ?? listener, options);
    }) as AbortSignal['removeEventListener'];
    let onabort: ((this: AbortSignal, ev: Event) => unknown) | null = null;
    Object.defineProperty(signal, 'onabort', {
      configurable: true,
      get: () => onabort,
      set: (handler: ((this: AbortSignal, ev: Event) => unknown) | null) => {
        if (onabort) signal.removeEventListener('abort', onabort as EventListener);
        onabort = typeof handler === 'function' ? handler : null;
        if (onabort) signal.addEventListener('abort', onabort as EventListener);
      },
    });
  }
}
