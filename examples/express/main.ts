// eventide in an Express app: the controllers' routes beside Express's own, behind its middleware.
import express from 'express';
import cors from 'cors';
import type { AddressInfo } from 'node:net';
import { Controller, Hub, Sse, type RequestContext } from 'eventide';
import { eventide } from 'eventide/express';

const hub = new Hub();

@Controller('news')
class NewsController {
  // Resumable: a reconnecting EventSource sends Last-Event-ID and gets what it missed.
  @Sse('live')
  live(ctx: RequestContext) {
    return hub.subscribe('news', { lastEventId: ctx.lastEventId });
  }
}

const app = express();
app.use(cors({ origin: 'https://app.example' })); // applies to eventide's streams too
app.get('/health', (_req, res) => {
  res.send('ok');
});
const events = eventide({ controllers: [NewsController] });
app.use(events); // serves GET /news/live; next() for everything else

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
const ticker = setInterval(() => void hub.publish('news', { data: { at: Date.now() } }), 500);

process.once('SIGTERM', async () => {
  clearInterval(ticker);
  await events.close(); // ends open streams cleanly, so server.close() can finish
  server.close();
  await hub.close();
});
