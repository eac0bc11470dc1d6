// `npm start`: the seed example and its page at http://localhost:3000 (PORT and HOST override).
import { createApp } from 'eventide';
import { AppController } from '../seed/app.controller.js';
import { PageController } from './page.controller.js';

const app = createApp({ controllers: [AppController, PageController] });
const port = Number(process.env.PORT ?? 3000);
await app.listen(port, process.env.HOST);
const shown = process.env.HOST ? app.url : `http://localhost:${app.address!.port}`;
console.log(`eventide demo running at ${shown}  (stream: ${shown}/sse; Ctrl-C stops)`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void app.close().then(() => {
    console.log('eventide demo stopped');
    process.exit(0);
  });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
