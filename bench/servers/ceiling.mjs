// Ceiling: node:http writing everything published in one call (a whole burst, or one timer tick)
// as a single buffer per socket. Nothing real can beat it on this machine.
import http from 'node:http';
import { runServer, makePayload, SSE_HEADERS } from './harness.mjs';

const subs = new Set();
let seedCount = 0;

function encode(payload) {
  return Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
}

const server = http.createServer((req, res) => {
  if (req.url === '/broadcast') {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    subs.add(res);
    res.on('close', () => subs.delete(res));
  } else if (req.url === '/seed') {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    seedCount++;
    let seq = 0;
    const timer = setInterval(() => res.write(encode(makePayload(seq++, 100, 0))), 1000);
    res.on('close', () => { clearInterval(timer); seedCount--; });
  } else {
    res.writeHead(404).end();
  }
});

await runServer({
  start: () => new Promise((r) => server.listen(0, '127.0.0.1', 4096, () => r(server.address().port))),
  subscribers: () => subs.size + seedCount,
  publish(payload) {
    const buf = encode(payload);
    for (const res of subs) res.write(buf);
  },
  publishMany(payloads) {
    const buf = Buffer.concat(payloads.map(encode));
    for (const res of subs) res.write(buf);
  },
});
