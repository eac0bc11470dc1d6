// Hono 4 on @hono/node-server: streamSSE per connection; a broadcast calls writeSSE on every open
// stream with the payload serialized once; the seed route loops writeSSE + sleep(1000).
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { serve } from '@hono/node-server';
import { runServer, makePayload } from './harness.mjs';

const listeners = new Set();
let seedCount = 0;
const app = new Hono();

app.get('/broadcast', (c) =>
  streamSSE(c, async (stream) => {
    const listener = (data) => { stream.writeSSE({ data }); };
    listeners.add(listener);
    await new Promise((resolve) => stream.onAbort(resolve));
    listeners.delete(listener);
  }),
);

app.get('/seed', (c) =>
  streamSSE(c, async (stream) => {
    seedCount++;
    let aborted = false;
    stream.onAbort(() => { aborted = true; });
    let seq = 0;
    try {
      while (!aborted) {
        await stream.sleep(1000);
        if (aborted) break;
        await stream.writeSSE({ data: JSON.stringify(makePayload(seq++, 100, 0)) });
      }
    } finally {
      seedCount--;
    }
  }),
);

await runServer({
  start: () =>
    new Promise((r) => {
      serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => r(info.port));
    }),
  subscribers: () => listeners.size + seedCount,
  publish(payload) {
    const data = JSON.stringify(payload);
    for (const l of listeners) l(data);
  },
});
