// Liveness and readiness as routes, on any platform: a controller with two GET routes.
import { Controller, Get } from '../router/decorators.js';
import type { RequestContext } from '../core/context.js';
import { EventideError } from '../errors.js';
import type { HealthReport } from './health.js';

/** Anything with `health()`: an app of any platform. */
export interface HealthTarget {
  health(): Promise<HealthReport>;
}

/** Options of {@link healthController}. */
export interface HealthControllerOptions {
  /** Path of the liveness probe (default `/livez`): 200 while the process answers. */
  livePath?: string;
  /** Path of the readiness probe (default `/readyz`): 200 when ready, else 503 with the report. */
  readyPath?: string;
}

/**
 * A controller serving liveness and readiness probes for `app`. Pass a function when the app is
 * created with this controller in it.
 *
 * @example
 * ```ts
 * const app: App = createApp({ controllers: [News, healthController(() => app)] });
 * ```
 */
export function healthController(app: HealthTarget | (() => HealthTarget), options: HealthControllerOptions = {}): object {
  if (typeof app !== 'function' && (app === null || typeof app !== 'object' || typeof app.health !== 'function')) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', 'healthController(app) takes an app (or a function returning it) with a health() method');
  }
  const target = (): HealthTarget => (typeof app === 'function' ? app() : app);
  const livePath = options.livePath ?? '/livez';
  const readyPath = options.readyPath ?? '/readyz';

  @Controller()
  class HealthController {
    @Get(livePath)
    live(ctx: RequestContext) {
      ctx.setHeader('Cache-Control', 'no-store');
      return { status: 'live' };
    }

    @Get(readyPath)
    async ready(ctx: RequestContext) {
      ctx.setHeader('Cache-Control', 'no-store');
      const report = await target().health();
      if (!report.ready) ctx.status(503).setHeader('Retry-After', '5');
      return report;
    }
  }
  return new HealthController();
}

/**
 * A readiness check for a hub's backend: passes when the backend has no `ready()` (memory), else
 * when `ready()` resolves (the Redis backend's rejects at once while Redis is down).
 */
export function hubReadiness(hub: { readonly backend: object }): () => Promise<void> {
  return async () => {
    const backend = hub.backend as { ready?: () => Promise<void> };
    if (typeof backend.ready === 'function') await backend.ready();
  };
}
