import { subscribeWithDemand } from './demand.js';
import type { SourceSink, StreamSource } from './types.js';

/** What `unsubscribe` hands back: a subscription, or a teardown function. */
type Teardown = { unsubscribe(): void } | (() => void);

/** The part of an Observable (rxjs or any other implementation) that eventide uses. */
export interface ObservableLike {
  subscribe(observer: {
    next: (value: unknown) => void;
    error: (err: unknown) => void;
    complete: () => void;
  }): { unsubscribe(): void };
}

export function isObservableLike(value: unknown): value is ObservableLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { subscribe?: unknown }).subscribe === 'function' &&
    typeof (value as { then?: unknown }).then !== 'function'
  );
}

function runTeardown(teardown: Teardown): void {
  if (typeof teardown === 'function') teardown();
  else teardown.unsubscribe();
}

/**
 * A push source: the Observable emits when it likes; the connection's bounded queue absorbs it.
 *
 * It is its own observer, and a subscription too (`closed`, `add`, `remove`, `unsubscribe`): rxjs
 * then takes it as the subscriber itself instead of wrapping it in two more objects that every
 * event would pass through. So it keeps rxjs's subscriber contract: it runs every teardown added to
 * it when the stream stops (or at once when added after), and `closed` turns true when the stream
 * stops, which also ends a synchronous source that loops `while (!subscriber.closed)`. Its methods
 * never throw into the Observable: the connection reports its own failures.
 */
class ObservableSource implements StreamSource {
  readonly #observable: ObservableLike;
  #sink: SourceSink | undefined;
  /** What subscribe() returned, when it was not this object. */
  #subscription: { unsubscribe(): void } | undefined;
  /** Teardowns added by the Observable (rxjs: its operators' subscribers and finalizers). */
  #teardowns: Teardown[] | undefined;
  #stopped = false;

  constructor(observable: ObservableLike) {
    this.#observable = observable;
  }

  start(sink: SourceSink): void {
    this.#sink = sink;
    // Sources subscribed synchronously through pass-through operators see the connection's demand.
    const subscription = subscribeWithDemand(sink, () => this.#observable.subscribe(this));
    if (subscription === this) return; // rxjs took this object as its subscriber: stop() tears down
    // A synchronous Observable may have finished, or been stopped, during subscribe().
    if (this.#stopped) subscription.unsubscribe();
    else this.#subscription = subscription;
  }

  // The observer side, called by the Observable as methods of this object (the Observable
  // contract; rxjs calls them on the subscriber it was given).
  next(value: unknown): void {
    if (!this.#stopped) this.#sink!.next(value);
  }

  error(err: unknown): void {
    if (!this.#stopped) this.#sink!.error(err);
  }

  complete(): void {
    if (!this.#stopped) this.#sink!.complete();
  }

  // The subscription side (rxjs's Subscription contract).
  get closed(): boolean {
    return this.#stopped;
  }

  add(teardown: Teardown | null | undefined | void): void {
    if (!teardown || (teardown as unknown) === this) return;
    if (this.#stopped) runTeardown(teardown);
    else (this.#teardowns ??= []).push(teardown);
  }

  remove(teardown: Teardown): void {
    const teardowns = this.#teardowns;
    const at = teardowns === undefined ? -1 : teardowns.indexOf(teardown);
    if (at !== -1) teardowns!.splice(at, 1);
  }

  unsubscribe(): void {
    this.stop();
  }

  /** Runs every teardown; throws the first failure (or all of them) after running the rest. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const subscription = this.#subscription;
    const teardowns = this.#teardowns;
    this.#subscription = undefined;
    this.#teardowns = undefined;
    const failures: unknown[] = [];
    if (subscription !== undefined) {
      try {
        subscription.unsubscribe();
      } catch (err) {
        failures.push(err);
      }
    }
    if (teardowns !== undefined) {
      for (const teardown of teardowns) {
        try {
          runTeardown(teardown);
        } catch (err) {
          failures.push(err);
        }
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} teardowns of the stream's Observable threw`);
  }
}

export function fromObservable(observable: ObservableLike): StreamSource {
  return new ObservableSource(observable);
}
