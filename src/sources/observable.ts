import { subscribeWithDemand } from './demand.js';
import type { SourceSink, StreamSource } from './types.js';

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

/**
 * A push source: the Observable emits when it likes; the connection's bounded queue absorbs it.
 * It is its own observer (a class, not closures: one small object per connection).
 */
class ObservableSource implements StreamSource {
  readonly #observable: ObservableLike;
  #sink: SourceSink | undefined;
  #subscription: { unsubscribe(): void } | undefined;
  #stopped = false;

  constructor(observable: ObservableLike) {
    this.#observable = observable;
  }

  start(sink: SourceSink): void {
    this.#sink = sink;
    // Sources subscribed synchronously through pass-through operators see the connection's demand.
    const subscription = subscribeWithDemand(sink, () => this.#observable.subscribe(this));
    // A synchronous Observable may have finished, or been stopped, during subscribe().
    if (this.#stopped) subscription.unsubscribe();
    else this.#subscription = subscription;
  }

  // The observer side, called by the Observable as methods of this object (the Observable
  // contract; rxjs binds them itself).
  next(value: unknown): void {
    if (!this.#stopped) this.#sink!.next(value);
  }

  error(err: unknown): void {
    if (!this.#stopped) this.#sink!.error(err);
  }

  complete(): void {
    if (!this.#stopped) this.#sink!.complete();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }
}

export function fromObservable(observable: ObservableLike): StreamSource {
  return new ObservableSource(observable);
}
