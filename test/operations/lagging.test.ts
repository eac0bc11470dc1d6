// hub.laggingSubscriptions and its gauge, with real readers over real sockets: a client that stops
// reading falls behind the live fan-out and is counted; once it reads again it catches up from the
// history, rejoins the live feed and is no longer counted; one that leaves while behind is not
// counted either, nor are those of a hub that closes. A reader that keeps up is never counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { Controller, Hub, Sse, createApp, createMemoryBackend, type RequestContext } from '../../src/index.js';
import { createMetrics, metricsController } from '../../src/operations/metrics.js';
import { eventually } from '../support/sse-client.js';

/** A raw SSE reader that counts the events it has read (the ids it saw). */
function reader(port: number, path: string): { socket: Socket; ids: string[]; opened: Promise<void>; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  const ids: string[] = [];
  let text = '';
  let headed = false;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    if (!headed) {
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      assert.match(text, /^HTTP\/1\.1 200/);
      headed = true;
      text = text.slice(end + 4);
      open();
    }
    // Chunked transfer: the chunk-size lines never start with "id: ".
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n')) {
      const line = text.slice(0, at);
      text = text.slice(at + 1);
      if (line.startsWith('id: ')) ids.push(line.slice(4));
    }
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n`);
  return { socket, ids, opened, closed };
}

async function gauge(url: string): Promise<number> {
  const response = await fetch(`${url}/metrics`);
  const families = parsePrometheusTextFormat(await response.text()) as { name: string; metrics: { value?: string }[] }[];
  const family = families.find((f) => f.name === 'eventide_hub_lagging_subscriptions');
  assert.ok(family, 'the lagging gauge is exposed');
  return Number(family.metrics[0]?.value);
}

test('laggingSubscriptions counts a client that stopped reading until it has caught up; the gauge reports it', async () => {
  const registry = new Registry();
  const metrics = createMetrics({ registry });
  const hub = new Hub({ backend: createMemoryBackend(), history: { maxEvents: 100_000 } });
  metrics.observeHub(hub);
  @Controller()
  class Feed {
    @Sse('feed')
    feed(ctx: RequestContext) {
      return hub.subscribe('feed', { lastEventId: ctx.lastEventId, anchor: false });
    }
  }
  const app = createApp({ controllers: [Feed, metricsController({ registry })], heartbeatMs: 0 });
  await app.listen(0, '127.0.0.1');
  const port = app.address!.port;
  const readers: ReturnType<typeof reader>[] = [];
  try {
    assert.equal(hub.laggingSubscriptions, 0);
    const fast = reader(port, '/feed');
    const slow = reader(port, '/feed');
    const leaver = reader(port, '/feed');
    const stuck = reader(port, '/feed');
    readers.push(fast, slow, leaver, stuck);
    await Promise.all(readers.map((r) => r.opened));
    await eventually(() => hub.subscriptionCount === 4, 5000, 'four subscriptions');
    // Three readers stop reading: the kernel's buffers, then the response's, fill up.
    for (const r of [slow, leaver, stuck]) r.socket.pause();
    const ids: string[] = [];
    const chunk = 'x'.repeat(64 * 1024);
    // Publish until they have fallen behind (bounded: at most 4,000 events of 64 KB).
    for (let n = 0; hub.laggingSubscriptions < 3; n++) {
      assert.ok(n < 4000, `the paused readers fell behind within 4,000 events (lagging: ${hub.laggingSubscriptions})`);
      ids.push(await hub.publish('feed', { data: `${n}:${chunk}` }));
      // A turn for the flushes, so the fast reader is never the one held back.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(hub.laggingSubscriptions, 3, 'the three paused readers, not the one reading');
    assert.equal(await gauge(app.url), 3, 'the gauge reads the hub');
    // The fast reader got everything live.
    await eventually(() => fast.ids.length === ids.length, 10_000, 'the fast reader to get every event');

    // One of them leaves while behind: it is no longer counted.
    leaver.socket.destroy();
    await leaver.closed;
    await eventually(() => hub.laggingSubscriptions === 2, 5000, 'the leaver to be uncounted');
    assert.equal(await gauge(app.url), 2);

    // The other reads again: it catches up from the history and rejoins the live feed.
    slow.socket.resume();
    await eventually(() => slow.ids.length === ids.length, 30_000, 'the slow reader to catch up');
    ids.push(await hub.publish('feed', { data: 'live' }));
    await eventually(() => slow.ids.length === ids.length && fast.ids.length === ids.length, 10_000, 'the live event');
    assert.deepEqual(slow.ids, ids, 'every event once, in order');
    assert.equal(hub.laggingSubscriptions, 1, 'caught up: not lagging; the one still paused is');
    assert.equal(await gauge(app.url), 1);
    // The hub closes while one is still behind: nothing is left counted.
    await hub.close();
    assert.equal(hub.laggingSubscriptions, 0, 'closed subscriptions are not counted');
  } finally {
    for (const r of readers) r.socket.destroy();
    await app.close();
    await hub.close();
  }
});
