// eventide's hub route served by eventide/fastify in a Fastify 5 app.
import Fastify from 'fastify';
import { Controller, Sse, Hub, type RequestContext } from '../../dist/index.js';
import { eventide } from '../../dist/platforms/fastify/index.js';
import { interval, map } from 'rxjs';
import { runServer, makePayload, type Payload } from './harness.mjs';

const hub = new Hub();

@Controller()
class BenchController {
  @Sse('broadcast')
  broadcast(ctx: RequestContext) {
    return hub.subscribe('bench', { lastEventId: ctx.lastEventId });
  }

  @Sse('seed')
  seed() {
    let seq = 0;
    return interval(1000).pipe(map(() => ({ data: makePayload(seq++, 100, 0) })));
  }
}

const app = Fastify();
const plugin = eventide({ controllers: [new BenchController()] });
await app.register(plugin);

await runServer({
  async start() {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  },
  subscribers: () => plugin.stats.openStreams,
  publish(payload: Payload) {
    return hub.publish('bench', { data: payload });
  },
});
