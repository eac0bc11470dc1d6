// eventide, hub route on the Redis Streams backend: several of these processes share one Redis;
// a publish in any of them reaches the subscribers of all. BENCH_REDIS_PREFIX keeps each run's keys apart.
import { Controller, Sse, createApp, type RequestContext } from '../../dist/index.js';
import { Hub } from '../../dist/hub/index.js';
import { redisBackend } from '../../dist/redis/index.js';
import { runServer, type Payload } from './harness.mjs';

const hub = new Hub({
  backend: redisBackend({ url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: process.env.BENCH_REDIS_PREFIX ?? 'eventide-bench:' }),
});

@Controller()
class BenchController {
  @Sse('broadcast')
  broadcast(ctx: RequestContext) {
    return hub.subscribe('bench', { lastEventId: ctx.lastEventId });
  }
}

const app = createApp({ controllers: [new BenchController()] });

await runServer({
  async start() {
    const address = await app.listen(0, '127.0.0.1');
    return address.port;
  },
  subscribers: () => app.stats.openStreams,
  publish(payload: Payload) {
    return hub.publish('bench', { data: payload });
  },
});
