// `npm start`: the seed example and a resumable broadcast at http://localhost:3000 (PORT and HOST
// override). The hub keeps its channels in memory, or on Redis when REDIS_URL is set.
import { createApp, Hub } from 'eventide';
import { AppController } from '../seed/app.controller.js';
import { BroadcastController } from './broadcast.controller.js';
import { PageController } from './page.controller.js';

async function createHub(): Promise<Hub> {
  if (!process.env.REDIS_URL) return new Hub();
  const { redisBackend } = await import('eventide/redis');
  return new Hub({ backend: redisBackend({ url: process.env.REDIS_URL }) });
}

const hub = await createHub();
// The ticker: one event a second on its own channel, so a tab that reconnects shows what it caught up.
let tick = 0;
const ticker = setInterval(() => {
  hub.publish('ticker', { data: { tick: ++tick, at: Date.now() }, type: 'tick' }).catch((err: Error) => {
    console.error(`ticker: publish failed: ${err.message}`);
  });
}, 1000);

const app = createApp({ controllers: [new AppController(), new PageController(), new BroadcastController(hub)] });
const port = Number(process.env.PORT ?? 3000);
await app.listen(port, process.env.HOST);
const shown = process.env.HOST ? app.url : `http://localhost:${app.address!.port}`;
console.log(`eventide demo running at ${shown}  (broadcast: ${shown}/broadcast; hub on ${process.env.REDIS_URL ? 'Redis' : 'memory'}; Ctrl-C stops)`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  void app
    .close()
    .then(() => hub.close())
    .then(() => {
      console.log('eventide demo stopped');
      process.exit(0);
    });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
