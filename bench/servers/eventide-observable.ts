// eventide, plain Observable route: every connection subscribes to one shared Subject; each event
// object is frozen before it is emitted, the documented way to have it encoded once for all
// connections. The seed route is the documented per-connection interval Observable.
import { Controller, Sse, createApp } from '../../dist/index.js';
import { Subject, interval, map } from 'rxjs';
import { runServer, makePayload, type Payload } from './harness.mjs';

const subject = new Subject<{ data: unknown }>();

@Controller()
class BenchController {
  @Sse('broadcast')
  broadcast() {
    return subject;
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
    subject.next(Object.freeze({ data: payload }));
  },
});
