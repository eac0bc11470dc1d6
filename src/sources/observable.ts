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
    !isPromiseLike(value)
  );
}

function isPromiseLike(value: object): boolean {
  return typeof (value as { then?: unknown }).then === 'function';
}

/** A push source: the Observable emits when it likes; the connection's bounded queue absorbs it. */
export function fromObservable(observable: ObservableLike): StreamSource {
  let subscription: { unsubscribe(): void } | undefined;
  let stopped = false;
  return {
    start(sink: SourceSink) {
      const sub = observable.subscribe({
        next: (value) => {
          if (!stopped) sink.next(value);
        },
        error: (err) => {
          if (!stopped) sink.error(err);
        },
        complete: () => {
          if (!stopped) sink.complete();
        },
      });
      // A synchronous Observable may have finished, or been stopped, during subscribe().
      if (stopped) sub.unsubscribe();
      else subscription = sub;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      subscription?.unsubscribe();
      subscription = undefined;
    },
  };
}
