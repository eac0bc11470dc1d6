// The behaviour suite against app.fetch on Node, served through a fetch adapter (@hono/node-server).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../../src/index.js';
import { runBehaviourSuite } from './suite.js';
import type { PlatformTarget } from './target.js';

const webOnNode: PlatformTarget = {
  name: 'app.fetch on Node (@hono/node-server)',
  async start(options) {
    const app = createApp(options as Parameters<typeof createApp>[0]);
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    return {
      url,
      stats: app.stats,
      request: (path, init = {}) => fetch(`${url}${path}`, init),
      async close() {
        await app.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as { closeAllConnections?(): void }).closeAllConnections?.();
        });
      },
    };
  },
};

runBehaviourSuite(webOnNode);
