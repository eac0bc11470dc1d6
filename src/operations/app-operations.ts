// The operations members every app has, whatever its platform: drain, draining, health, observe
// and openStreams, forwarded to the route core. The node:http and HTTP/2 apps write their own
// (they also manage their server's sockets); Express, Fastify and the fetch handler use this.
import type { AppCore, OpenStream } from '../core/app-core.js';
import type { DrainOptions } from './drain.js';
import type { OperationsListener } from './events.js';
import type { HealthReport } from './health.js';

/** Drain, health, the operations event hook and open streams, on any platform's app. */
export interface AppOperations {
  /**
   * Graceful drain for deploys: new streams get 503 with Retry-After; every open stream gets a
   * jittered `retry:` and is ended at its own time, spread over `withinMs` (default 5000); then
   * the app closes. Resolves once closed; calling it again returns the same promise.
   */
  drain(options?: DrainOptions): Promise<void>;
  /** True from the start of a drain. */
  readonly draining: boolean;
  /** Liveness and readiness: not ready while draining or closing, or while a readiness check fails. */
  health(): Promise<HealthReport>;
  /** Adds a listener of operations events (streams opened / closed / refused, drains, errors); returns its remover. */
  observe(listener: OperationsListener): () => void;
  /** The streams open now (route pattern and what each has written), for metrics. */
  openStreams(): IterableIterator<OpenStream>;
}

/**
 * Defines the operations members on `target` (an object, or a middleware / plugin function).
 * `beforeDrain` runs once when a drain starts (a platform's own step, e.g. closing connections
 * once their response is complete); `close` runs after the drain.
 */
export function defineOperations<T extends object>(target: T, core: AppCore, close: () => Promise<void>, beforeDrain?: () => void): T & AppOperations {
  let drained: Promise<void> | undefined;
  const members: AppOperations = {
    drain(options) {
      if (!drained) {
        // core.drain checks the options first: a bad one throws before anything has changed.
        const drain = core.drain(options);
        beforeDrain?.();
        drained = drain.then(close);
      }
      return drained;
    },
    get draining() {
      return core.draining;
    },
    health: () => core.health(),
    observe: (listener) => core.observe(listener),
    openStreams: () => core.openStreams(),
  };
  return Object.defineProperties(target, Object.getOwnPropertyDescriptors(members)) as T & AppOperations;
}
