import { EventideError } from '../errors.js';
import { DeferredReason } from '../connection/sink.js';
import type { AbortListener, Exchange } from './exchange.js';

/** The abort reason of a request whose client went away. */
export function clientGone(): EventideError {
  return new EventideError('EVENTIDE_CLOSED', 'the client went away');
}

/** The reason of a LazyAbort that has not aborted (a reason may be any value, `undefined` too). */
const NOT_ABORTED: unique symbol = Symbol('not aborted');

/** {@link clientGone}, deferred. */
const CLIENT_GONE = new DeferredReason(clientGone);

/** Hears errors thrown by the abort listeners of the request `exchange`. */
export type AbortListenerReport = (err: unknown, exchange: Exchange) => void;

/**
 * An AbortController made only when someone asks for its signal: most streams never look at
 * `ctx.signal`, and an AbortController with its EventTarget costs about 1 KB per connection.
 * It holds two fields and no private methods, so that a platform's exchange can be one itself
 * (node:http's is: one object per request fewer).
 *
 * Abort listeners are user code: one that throws would surface as an uncaught exception (that is
 * how EventTarget reports listener errors) and take the process down. Listeners added to this
 * signal are therefore guarded; their errors go to the `report` given when the signal is made.
 */
export class LazyAbort implements AbortListener {
  #controller: AbortController | undefined = undefined;
  #reason: unknown = NOT_ABORTED;

  /**
   * The signal, made on first use. `report(err, exchange)` hears of errors thrown by its
   * listeners; only the first call's `report` and `exchange` count (the signal is made then).
   */
  signalFor(report?: AbortListenerReport, exchange?: Exchange): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      guardListeners(controller.signal, report, exchange);
      if (this.#reason !== NOT_ABORTED) controller.abort(this.#madeReason());
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#reason !== NOT_ABORTED;
  }

  /** The client went away: aborts with the `EVENTIDE_CLOSED` reason {@link clientGone} makes. */
  clientAborted(): void {
    this.abort(CLIENT_GONE);
  }

  /** Aborts once; later calls do nothing. A {@link DeferredReason} is made when a signal needs it. */
  abort(reason: unknown): void {
    if (this.#reason !== NOT_ABORTED) return;
    this.#reason = reason;
    if (this.#controller !== undefined) this.#controller.abort(this.#madeReason());
  }

  #madeReason(): unknown {
    if (this.#reason instanceof DeferredReason) this.#reason = this.#reason.make();
    return this.#reason;
  }
}

/** Wraps the listeners added to `signal` so that one that throws is reported, not thrown. */
function guardListeners(signal: AbortSignal, reporter: AbortListenerReport | undefined, exchange: Exchange | undefined): void {
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
