// Express 4 and 5 as PlatformTargets: eventide's middleware in an Express app of its own.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import express5 from 'express';
import express4 from 'express4';
import { eventide } from '../../../src/platforms/express/index.js';
import type { PlatformTarget, RunningTarget, TargetAppOptions } from '../target.js';

type ExpressFactory = typeof express5;
export const expressVersions: Record<'express 4' | 'express 5', ExpressFactory> = {
  'express 4': express4 as unknown as ExpressFactory,
  'express 5': express5,
};

/** What a test mounts around eventide: middleware before it, routes after it. */
export interface ExpressSetup {
  before?: RequestHandler[];
  after?: (app: ReturnType<ExpressFactory>) => void;
}

export async function startExpress(factory: ExpressFactory, options: TargetAppOptions, setup: ExpressSetup = {}): Promise<RunningTarget> {
  const app = factory();
  const events = eventide(options);
  for (const handler of setup.before ?? []) app.use(handler);
  app.use(events as unknown as RequestHandler);
  setup.after?.(app);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stats: events.stats,
    request: (path, init) => fetch(url + path, init),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await events.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

export function expressTarget(name: keyof typeof expressVersions): PlatformTarget {
  return { name, start: (options) => startExpress(expressVersions[name], options) };
}
