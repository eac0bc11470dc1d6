// Fastify 5 as a PlatformTarget: eventide's plugin in a Fastify app of its own.
import Fastify, { type FastifyInstance } from 'fastify';
import { eventide } from '../../../src/platforms/fastify/index.js';
import type { PlatformTarget, RunningTarget, TargetAppOptions } from '../target.js';

/** What a test sets up on the instance before eventide is registered, and the prefix it is registered under. */
export interface FastifySetup {
  before?: (app: FastifyInstance) => unknown;
  after?: (app: FastifyInstance) => unknown;
  prefix?: string;
}

export async function startFastify(options: TargetAppOptions, setup: FastifySetup = {}): Promise<RunningTarget & { app: FastifyInstance }> {
  const app = Fastify();
  await setup.before?.(app);
  const plugin = eventide(options);
  await app.register(plugin, setup.prefix ? { prefix: setup.prefix } : {});
  await setup.after?.(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url,
    stats: plugin.stats,
    request: (path, init) => fetch(url + path, init),
    close: () => app.close(),
  };
}

export const fastifyTarget: PlatformTarget = { name: 'fastify 5', start: (options) => startFastify(options) };
