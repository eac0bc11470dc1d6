// events() applies backpressure: while the loop body is busy, the response body is not read, so
// the server sees the client stop reading (its writes back up, its pull source pauses) instead of
// the client buffering to a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { Controller, Sse, createApp, type RequestContext } from '../../src/index.js';
import { Hub } from '../../src/hub/index.js';
import { events, isGap } from '../../src/client/node.js';
import { startServer, sseHead, until } from './helpers.js';

/** A promise and its resolver: the loop body waits on it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** A `fetch` that counts the body bytes reaching the client; `onResponse` runs for each response. */
function countingFetch(count: { received: number }, onResponse: () => void = () => {}): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (response.body === null) return response;
    onResponse();
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          count.received += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: response.status, headers: response.headers });
  };
}

/** Resolves once `read()` has not changed for `quietMs` (polling), or rejects after `timeoutMs`. */
async function settled(read: () => number, what: string, quietMs = 300, timeoutMs = 15_000): Promise<number> {
  let value = read();
  let since = Date.now();
  await until(() => {
    const now = read();
    if (now !== value) {
      value = now;
      since = Date.now();
    }
    return Date.now() - since >= quietMs;
  }, what, timeoutMs);
  return value;
}

test('a busy loop body stops the reading: the client reads one chunk, the server waits for drain, then everything arrives in order', async (t) => {
  const TOTAL = 100_000; // ~11 MB: far more than socket buffers and maxBuffered (10000) hold
  const frame = (n: number) => `data: ${String(n).padStart(100, '0')}\n\n`;
  let written = 0;
  let sent = 0;
  let response: ServerResponse | undefined;
  const srv = await startServer((req, res) => {
    response = res;
    sseHead(res);
    const pump = () => {
      while (sent < TOTAL) {
        let chunk = '';
        for (let i = 0; i < 100 && sent < TOTAL; i++) chunk += frame(++sent);
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  try {
    const hold = gate();
    let received = 0;
    let expected = 1;
    const client = { received: 0 };
    const loop = (async () => {
      for await (const event of events(srv.url, { parse: 'text', reconnect: { delay: 60_000 }, fetch: countingFetch(client) })) {
        assert.equal(Number(event.data), expected, 'in order, none lost');
        expected += 1;
        received += 1;
        if (received === 1) await hold.wait; // a loop body that is busy for a long while
        if (received === TOTAL) break;
      }
    })();
    // Both sides quiet: the server waits for drain, and the client reads no more from the socket.
    await settled(() => written + client.received, 'the server to stop writing and the client to stop reading');
    const writtenWhileBlocked = written;
    const backlog = response!.writableLength;
    t.diagnostic(
      `while the loop body was busy: the server wrote ${(writtenWhileBlocked / 1e6).toFixed(2)} MB of ${(TOTAL * frame(1).length / 1e6).toFixed(1)} MB, ` +
        `then waited for drain with ${backlog} bytes queued; the client had read ${client.received} bytes of it`,
    );
    assert.ok(client.received < 1024 * 1024, `the client read ${client.received} bytes while its loop body was busy`);
    assert.ok(sent < TOTAL, 'the server could not send everything: the client stopped reading');
    assert.ok(response!.writableNeedDrain, 'the server waits for drain');
    assert.ok(writtenWhileBlocked < 16e6, `bounded: ${writtenWhileBlocked} bytes written while the client did not read`);
    assert.equal(received, 1);
    hold.open();
    await loop; // no EVENTIDE_SLOW_CLIENT: the loop ends by itself after the last event
    assert.equal(received, TOTAL);
  } finally {
    await srv.close();
  }
});

test("against eventide's server, a busy loop body pauses the handler's pull source (async generator)", async (t) => {
  let pulled = 0;
  const pad = 'y'.repeat(200);
  @Controller()
  class CountController {
    @Sse('count')
    async *count(ctx: RequestContext) {
      for (let n = 1; !ctx.signal.aborted; n++) {
        pulled = n;
        yield { data: `${n} ${pad}` };
      }
    }
  }
  const app = createApp({ controllers: [CountController], onError: () => {} });
  await app.listen(0, '127.0.0.1');
  try {
    const hold = gate();
    let expected = 1;
    const seen = { count: 0 };
    const loop = (async () => {
      for await (const event of events(`${app.url}/count`, { parse: 'text', reconnect: { delay: 60_000 } })) {
        assert.equal(Number(String(event.data).split(' ')[0]), expected, 'in order, none lost');
        expected += 1;
        seen.count += 1;
        if (seen.count === 1) await hold.wait;
        if (seen.count === 50_000) break;
      }
    })();
    const paused = await settled(() => pulled, 'the generator to stop being pulled');
    t.diagnostic(`the generator paused at event ${paused} while the loop body held event 1`);
    assert.ok(paused < 50_000, `the source paused (${paused} events pulled) before the end the loop waits for`);
    assert.equal(seen.count, 1);
    assert.equal(app.stats.slowClientsClosed, 0);
    hold.open();
    await loop;
    assert.equal(seen.count, 50_000);
    assert.ok(pulled >= 50_000, 'the source resumed');
  } finally {
    await app.close();
  }
});

test('a 50 ms loop body against a hub route publishing 1,000 events/s for 5 s: bounded memory, no EVENTIDE_SLOW_CLIENT, every retained event or a gap signal', { timeout: 90_000 }, async (t) => {
  const hub = new Hub({ history: { maxEvents: 1000 } });
  let connections = 0;
  @Controller()
  class FeedController {
    @Sse('feed')
    feed(ctx: RequestContext) {
      connections += 1;
      return hub.subscribe('feed', { lastEventId: ctx.lastEventId });
    }
  }
  // A small per-connection bound, so that the server's own slow-client policy comes into play.
  const app = createApp({ controllers: [FeedController], onError: () => {}, maxBufferedBytes: 256 * 1024 });
  await app.listen(0, '127.0.0.1');
  const TOTAL = 5000;
  const payload = 'z'.repeat(4000);
  // Counts the bytes that reach the client, per connection.
  const conn = { received: 0, consumed: 0 };
  let maxLag = 0;
  const fetchCounted = countingFetch(conn, () => {
    conn.received = 0;
    conn.consumed = 0;
  });
  try {
    let last = 0;
    let gaps = 0;
    let delivered = 0;
    let slow = 0;
    const iterator = events(`${app.url}/feed`, { parse: 'text', reconnect: { delay: 20 }, fetch: fetchCounted });
    // Warm-up events until the client sees one, so that event 1 is published to a live subscription.
    const warm = iterator.next();
    let warmed = false;
    void warm.then(() => (warmed = true));
    await until(() => connections === 1, 'the subscription');
    while (!warmed) {
      await hub.publish('feed', { data: 'warm-up', type: 'warmup' });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    let publishing = true;
    const publisher = (async () => {
      const started = Date.now();
      for (let n = 1; n <= TOTAL; n++) {
        await hub.publish('feed', { data: `${n} ${payload}` });
        // 1,000 events per second, in bursts of 10 every 10 ms
        if (n % 10 === 0) await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + n - Date.now())));
      }
      publishing = false;
    })();
    // After the last event, a tick every 20 ms: in channel order, a tick reaches the client only
    // after every earlier event was delivered or announced lost by a gap signal.
    const ticker = publisher.then(async () => {
      while (!done) {
        await hub.publish('feed', { data: 'tick', type: 'tick' });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    let done = false;
    let gapSinceLast = false;
    const loop = (async () => {
      try {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          const event = next.value;
          conn.consumed += 12 + event.lastEventId.length + String(event.data).length; // its frame on the wire, about
          maxLag = Math.max(maxLag, conn.received - conn.consumed);
          if (isGap(event)) {
            gaps += 1;
            gapSinceLast = true;
            continue;
          }
          if (event.type === 'warmup') continue;
          if (event.type === 'tick') {
            if (publishing) continue;
            break;
          }
          const n = Number(String(event.data).split(' ')[0]);
          if (!gapSinceLast) assert.equal(n, last + 1, `event ${n} follows ${last} without a gap signal between`);
          else assert.ok(n > last, `event ${n} after ${last} and a gap signal`);
          last = n;
          gapSinceLast = false;
          delivered += 1;
          if (publishing) {
            slow += 1;
            await new Promise((resolve) => setTimeout(resolve, 50)); // a busy loop body
          }
        }
        await iterator.return?.();
      } finally {
        done = true;
      }
    })();
    await Promise.all([publisher, loop, ticker]);
    t.diagnostic(
      `${delivered} events delivered, ${gaps} gap signals, ${connections} connections, ${app.stats.slowClientsClosed} closed as slow by the server; ` +
        `${slow} events took 50 ms; at most ${(maxLag / 1024).toFixed(0)} KiB received ahead of the loop`,
    );
    assert.ok(last === TOTAL || gapSinceLast, `the last event (${TOTAL}) was delivered, or a gap signal came after event ${last}`);
    assert.ok(maxLag < 1024 * 1024, `the client held at most ${maxLag} bytes it had not handed to the loop`);
  } finally {
    await app.close();
    await hub.close();
  }
});

test('a loop body that throws while the reading is paused closes the connection', async () => {
  let closed = false;
  let written = 0;
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.on('close', () => (closed = true));
    const pump = () => {
      while (!closed) {
        const chunk = 'data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\n'.repeat(200);
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  try {
    await assert.rejects(
      (async () => {
        for await (const _ of events(srv.url)) {
          await settled(() => written, 'the server to stop writing'); // paused: the client reads no more
          throw new Error('the loop body failed');
        }
      })(),
      /the loop body failed/,
    );
    await until(() => closed, 'the server to see the connection closed');
  } finally {
    await srv.close();
  }
});
