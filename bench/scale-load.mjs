// A load process of the scale benchmark: COUNT raw SSE connections spread over PORTS, opened in
// batches; counts events per connection and records publish-to-receive latency (the payload
// carries the publish time on the shared monotonic clock) in a 0.1 ms histogram.
import { connect } from 'node:net';

const ports = process.env.PORTS.split(',').map(Number);
const count = Number(process.env.COUNT);
const BATCH = 250;
const BUCKET_US = 100;
const histogram = new Uint32Array(600_000); // up to 60 s
const received = new Uint32Array(count);
let open = 0;
let failed = 0;
let deliveries = 0;
let lastAt = 0;
const sockets = [];
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function openOne(i) {
  return new Promise((resolve) => {
    const socket = connect(ports[i % ports.length], '127.0.0.1');
    sockets.push(socket);
    let headed = false;
    socket.setNoDelay(true);
    socket.on('error', () => {
      if (!headed) failed++;
      resolve();
    });
    socket.on('connect', () => socket.write('GET /events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n'));
    socket.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      if (!headed) {
        if (!text.startsWith('HTTP/1.1 200')) {
          failed++;
          socket.destroy();
          resolve();
          return;
        }
        headed = true;
        open++;
        resolve();
      }
      // Each event carries "t":<publish time in us>; one scan per chunk.
      const at = nowUs();
      let from = 0;
      for (;;) {
        const k = text.indexOf('"t":', from);
        if (k === -1) break;
        const end = text.indexOf(',', k);
        const t = Number(text.slice(k + 4, end));
        const bucket = Math.min(histogram.length - 1, Math.max(0, Math.floor((at - t) / BUCKET_US)));
        histogram[bucket]++;
        received[i]++;
        deliveries++;
        lastAt = at;
        from = end;
      }
    });
  });
}

process.on('message', async (message) => {
  if (message.cmd === 'open') {
    for (let i = 0; i < count; i += BATCH) {
      await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => openOne(i + j)));
    }
    process.send({ cmd: 'open', open, failed });
  } else if (message.cmd === 'wait') {
    const deadline = Date.now() + message.timeoutMs;
    const check = () => {
      const done = received.every((n) => n >= message.expect);
      if (!done && Date.now() < deadline) return setTimeout(check, 100);
      const buckets = [];
      histogram.forEach((n, b) => n && buckets.push([b, n]));
      let complete = 0;
      for (const n of received) if (n >= message.expect) complete++;
      process.send({ cmd: 'wait', deliveries, lastAt, complete, buckets, bucketUs: BUCKET_US });
    };
    check();
  } else if (message.cmd === 'stop') {
    for (const s of sockets) s.destroy();
    process.exit(0);
  }
});
process.send({ cmd: 'ready' });
