// eventide in a Fastify app: each controller route registered on Fastify, behind its hooks.
import Fastify from 'fastify';
import cors from '@fastify/cors';
import { Controller, Hub, Sse, type RequestContext } from 'eventide';
import { eventide } from 'eventide/fastify';

const hub = new Hub();

@Controller('news')
class NewsController {
  @Sse('live')
  live(ctx: RequestContext) {
    return hub.subscribe('news', { lastEventId: ctx.lastEventId });
  }
}

const app = Fastify();
await app.register(cors, { origin: 'https://app.example' }); // applies to eventide's streams too
app.addHook('onRequest', async (request, reply) => {
  // Runs before a stream opens: a refusal is a real 401, never a stream that opens and fails.
  if (request.url.startsWith('/news') && request.headers.authorization !== 'Bearer demo') {
    await reply.code(401).send({ error: 'sign in first' });
  }
});
app.get('/health', async () => 'ok');
await app.register(eventide({ controllers: [NewsController] }));

const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${url}`);
const ticker = setInterval(() => void hub.publish('news', { data: { at: Date.now() } }), 500);

process.once('SIGTERM', async () => {
  clearInterval(ticker);
  await app.close(); // ends open streams cleanly
  await hub.close();
});
