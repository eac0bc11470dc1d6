// eventide, hub route: every connection subscribes to one hub channel (with resume after
// Last-Event-ID); publishing goes through hub.publish, which stores, assigns the id and fans out.
// The seed route is the documented per-connection interval Observable.
import { Controller, Sse, createApp, Hub, type RequestContext } from '../../dist/index.js';
import { interval, map } from 'rxjs';
import { runServer, makePayload, type Payload } from './harness.mjs';

// A client that takes no byte for 1 s is closed (the default is 30 s): the slow-client workload
// waits that long before it reads its never-reading client.
const hub = new Hub({ history: { maxEvents: 5000 }, stallTimeoutMs: 1000 });

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
