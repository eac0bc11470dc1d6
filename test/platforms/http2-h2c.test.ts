// The behaviour suite over node:http2 without TLS (h2c, prior knowledge).
import { createApp } from '../../src/index.js';
import { http2Fetch } from './http2-client.js';
import { runBehaviourSuite } from './suite.js';
import type { PlatformTarget } from './target.js';

const h2c: PlatformTarget = {
  name: 'node:http2 h2c',
  async start(options) {
    const app = createApp({ ...(options as Parameters<typeof createApp>[0]), http2: { cleartext: true } });
    await app.listen(0, '127.0.0.1');
    const client = http2Fetch(app.url);
    return {
      url: app.url,
      stats: app.stats,
      request: client.request,
      async close() {
        await app.close();
        client.closeAll();
      },
    };
  },
};

runBehaviourSuite(h2c);
