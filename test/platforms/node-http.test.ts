// The behaviour suite against the embedded node:http server (createApp), over global fetch.
import { createApp } from '../../src/index.js';
import { runBehaviourSuite } from './suite.js';
import type { PlatformTarget } from './target.js';

const nodeHttp: PlatformTarget = {
  name: 'node:http',
  async start(options) {
    const app = createApp(options as Parameters<typeof createApp>[0]);
    await app.listen(0, '127.0.0.1');
    return {
      url: app.url,
      stats: app.stats,
      request: (path, init = {}) => fetch(`${app.url}${path}`, init),
      close: () => app.close(),
    };
  },
};

runBehaviourSuite(nodeHttp);
