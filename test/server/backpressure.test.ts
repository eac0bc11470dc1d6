// A client that never reads: bounded memory, the documented slow-client policy, others unaffected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ServerResponse } from 'node:http';
import { Controller, Sse, createApp, type RequestContext } from '../../src/index.js';
import { eventually, openStream, rawRequest } from '../support/sse-client.js';

test('push source: a client that never reads is closed at the bound; a reading client gets everything', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const subject = new Subject<{ data: string }>();
  const responses: ServerResponse[] = [];
  const reasons: string[] = [];
  @Controller()
  class Push {
    @Sse('push')
    push(ctx: RequestContext) {
      responses.push(ctx.res);
      ctx.signal.addEventListener('abort', () => reasons.push((ctx.signal.reason as { code: string }).code));
      return subject;
    }
  }
  const maxBufferedBytes = 256 * 1024;
  const app = createApp({ controllers: [Push], maxBufferedBytes });
  const { port } = await app.listen(0, '127.0.0.1');
  try {
    const slow = rawRequest(port, 'GET /push HTTP/1.1\r\nHost: x\r\n\r\n', { read: false });
    const reader = await openStream(`${app.url}/push`, {}, { keepRaw: false });
    await eventually(() => app.stats.openStreams === 2, 5000, 'two streams');
    const payload = 'x'.repeat(4096);
    const total = 8 * 1024 * 1024; // 8 MiB per client, far past kernel buffers
    const count = total / payload.length;
    gc();
    const before = process.memoryUsage();
    let peakExternal = 0;
    let peakSlowBuffered = 0;
    const slowResponse = responses[0];
    for (let i = 0; i < count; i++) {
      subject.next({ data: payload });
      // Publish in turns, the way a live source would, so the reading client can keep up.
      if (i % 32 === 31) {
        await new Promise((r) => setImmediate(r));
        peakSlowBuffered = Math.max(peakSlowBuffered, slowResponse.writableLength);
        gc();
        const m = process.memoryUsage();
        peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers - before.external - before.arrayBuffers);
      }
    }
    await reader.waitForEvents(count, 30_000);
    assert.equal(reader.events.length, count);
    assert.equal(app.stats.slowClientsClosed, 1, 'the slow client was closed by the policy');
    assert.deepEqual(reasons, ['EVENTIDE_SLOW_CLIENT']);
    slow.socket.destroy();
    // What the server held for the slow client stayed within its bound while 8 MiB were published
    // to it; the whole process's extra buffer memory (the in-process reading client's in-flight
    // chunks included) stayed far below the 8 MiB that an unbounded queue would have held.
    assert.ok(peakSlowBuffered > 0 && peakSlowBuffered <= maxBufferedBytes, `slow client buffered ${peakSlowBuffered} bytes`);
    assert.ok(peakExternal < 4 * 1024 * 1024, `peak extra external memory ${peakExternal} bytes`);
    await reader.close();
  } finally {
    await app.close();
  }
});

test('pull source: a generator is not pulled while the client does not read', async () => {
  let produced = 0;
  @Controller()
  class Pull {
    @Sse('pull')
    async *pull() {
      const payload = 'y'.repeat(4096);
      for (;;) {
        produced++;
        yield { data: payload };
      }
    }
  }
  const app = createApp({ controllers: [Pull] });
  const { port } = await app.listen(0, '127.0.0.1');
  try {
    const slow = rawRequest(port, 'GET /pull HTTP/1.1\r\nHost: x\r\n\r\n', { read: false });
    // The producer runs until the socket and kernel buffers are full, then waits.
    let last = -1;
    await eventually(() => {
      const stalled = produced === last && produced > 0;
      last = produced;
      return stalled;
    }, 20_000, 'the generator to stall');
    const stalledAt = produced;
    assert.ok(stalledAt < 20_000, `generator stalled after ${stalledAt} events (80 MB would mean no backpressure)`);
    // Reading resumes the producer.
    slow.socket.on('data', () => undefined);
    slow.socket.resume();
    await eventually(() => produced > stalledAt + 100, 20_000, 'the generator to resume');
    slow.socket.destroy();
    await eventually(() => app.stats.openStreams === 0, 5000, 'stream closed');
  } finally {
    await app.close();
  }
});
