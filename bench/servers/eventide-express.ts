// eventide's hub route served by eventide/express in an Express 5 app: what the platform costs
// beside the embedded server's eventide-hub.
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Sse, Hub, type RequestContext } from '../../dist/index.js';
import { eventide } from '../../dist/platforms/express/index.js';
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

const app = express();
const events = eventide({ controllers: [new BenchController()] });
app.use(events);

await runServer({
  start: () =>
    new Promise<number>((resolve) => {
      const server: Server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    }),
  subscribers: () => events.stats.openStreams,
  publish(payload: Payload) {
    return hub.publish('bench', { data: payload });
  },
});
