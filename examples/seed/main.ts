// Runs the seed example on its own: PORT (default 3000), HOST (default all interfaces).
import { createApp } from 'eventide';
import { AppController } from './app.controller.js';

const app = createApp({ controllers: [AppController] });
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST);
console.log(`listening on ${app.url}`);
const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
