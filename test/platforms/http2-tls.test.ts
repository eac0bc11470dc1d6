// The behaviour suite over node:http2 with TLS (the browser path), a certificate made by the test.
import { createApp } from '../../src/index.js';
import { http2Fetch, selfSignedCertificate } from './http2-client.js';
import { runBehaviourSuite } from './suite.js';
import type { PlatformTarget } from './target.js';

const { key, cert } = selfSignedCertificate();

const tls: PlatformTarget = {
  name: 'node:http2 TLS',
  async start(options) {
    const app = createApp({ ...(options as Parameters<typeof createApp>[0]), http2: { key, cert } });
    await app.listen(0, '127.0.0.1');
    const client = http2Fetch(app.url, { ca: cert });
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

runBehaviourSuite(tls);
