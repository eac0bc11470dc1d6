// eventide hub, Mercure protocol: every connection is a Mercure subscriber of one topic
// (`GET /.well-known/mercure?topic=...`, reached through /broadcast); publishing goes through
// mercure.publish, the same path as an HTTP publish after its form is read and its token checked.
// With BENCH_REDIS_PREFIX set the Hub is on Redis (several of these processes share it).
// Compared with eventide-hub (a plain hub route), this shows the cost of the protocol layer: the
// update wrapped in a JSON envelope, decoded once per process, filtered per subscriber.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, Hub } from '../../dist/index.js';
import { createMercureHub } from '../../dist/mercure/index.js';
import { runServer, type Payload } from './harness.mjs';

const TOPIC = 'https://bench.example/feed';
const SUBSCRIBE = `/.well-known/mercure?topic=${encodeURIComponent(TOPIC)}`;

let hub: Hub;
if (process.env.BENCH_REDIS_PREFIX) {
  const { redisBackend } = await import('../../dist/redis/index.js');
  hub = new Hub({ backend: redisBackend({ url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: process.env.BENCH_REDIS_PREFIX }) });
} else {
  hub = new Hub();
}
const mercure = createMercureHub({ hub, anonymous: true });
const app = createApp({ controllers: [mercure.controller] });
// The load generator asks for /broadcast; the hub answers it as the Mercure subscription it stands for.
const server = createServer((req, res) => {
  if (req.url?.startsWith('/broadcast')) req.url = SUBSCRIBE;
  app.handler(req, res);
});

await runServer({
  async start() {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  },
  subscribers: () => app.stats.openStreams,
  publish(payload: Payload) {
    return mercure.publish({ topics: TOPIC, data: JSON.stringify(payload) });
  },
});
