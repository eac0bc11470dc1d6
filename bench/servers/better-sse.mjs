// better-sse: one channel, sessions registered on it, channel.broadcast per event; the seed route
// pushes from a per-session interval. Library defaults otherwise (keep-alive comment, retry field).
import http from 'node:http';
import { createSession, createChannel } from 'better-sse';
import { runServer, makePayload } from './harness.mjs';

const channel = createChannel();
let seedCount = 0;

const server = http.createServer(async (req, res) => {
  if (req.url === '/broadcast') {
    const session = await createSession(req, res);
    channel.register(session);
  } else if (req.url === '/seed') {
    const session = await createSession(req, res);
    seedCount++;
    let seq = 0;
    const timer = setInterval(() => session.push(makePayload(seq++, 100, 0)), 1000);
    session.on('disconnected', () => { clearInterval(timer); seedCount--; });
  } else {
    res.writeHead(404).end();
  }
});

await runServer({
  start: () => new Promise((r) => server.listen(0, '127.0.0.1', 4096, () => r(server.address().port))),
  subscribers: () => channel.sessionCount + seedCount,
  publish(payload) {
    channel.broadcast(payload);
  },
});
