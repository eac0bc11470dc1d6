// eventide as a fetch handler on Bun.serve or Deno.serve (whichever runtime runs this file): the
// same hub route as eventide-hub.ts, served by `createFetchHandler` from eventide/web. Bun's server
// is handed to the handler as its second argument, which lifts Bun's idle timeout per stream.
import { Controller, Sse, Hub, type RequestContext } from '../../dist/index.js';
import { createFetchHandler } from '../../dist/web.js';
import { runServer, type Payload } from './harness.mjs';
import { serveFetch } from './runtime-serve.mjs';

const hub = new Hub({ history: { maxEvents: 5000 }, stallTimeoutMs: 1000 });

@Controller()
class BenchController {
  @Sse('broadcast')
  broadcast(ctx: RequestContext) {
    return hub.subscribe('bench', { lastEventId: ctx.lastEventId });
  }
}

const app = createFetchHandler({ controllers: [new BenchController()] });

await runServer({
  start: () => serveFetch(app.fetch),
  subscribers: () => app.stats.openStreams,
  publish(payload: Payload) {
    return hub.publish('bench', { data: payload });
  },
});
