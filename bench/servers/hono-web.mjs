// Hono 4 streamSSE on Bun.serve or Deno.serve (whichever runtime runs this file): the /broadcast
// route of hono.mjs, with the payload serialized once per broadcast. Two things a Hono user on these
// runtimes does anyway: an opening comment so that Bun sends the response head at once (it waits
// for the first body byte), and Bun's idle timeout turned off so quiet streams are not cut at 10 s.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { runServer } from './harness.mjs';
import { serveFetch } from './runtime-serve.mjs';

const listeners = new Set();
const app = new Hono();

app.get('/broadcast', (c) =>
  streamSSE(c, async (stream) => {
    const listener = (data) => { stream.writeSSE({ data }); };
    listeners.add(listener);
    await stream.write(':\n\n');
    await new Promise((resolve) => stream.onAbort(resolve));
    listeners.delete(listener);
  }),
);

await runServer({
  start: () => serveFetch(app.fetch, { idleTimeout: 0 }),
  subscribers: () => listeners.size,
  publish(payload) {
    const data = JSON.stringify(payload);
    for (const l of listeners) l(data);
  },
});
