// app.close() with open streams, stream limits, heartbeats from one shared timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEVER, Observable } from 'rxjs';
import { Controller, Sse, createApp } from '../../src/index.js';
import { HeartbeatScheduler } from '../../src/connection/heartbeat.js';
import { openStream, rawRequest } from '../support/sse-client.js';

@Controller()
class Quiet {
  static torn = 0;
  @Sse('quiet')
  quiet() {
    return new Observable(() => () => Quiet.torn++);
  }
  @Sse('beats', { heartbeatMs: 30 })
  beats() {
    return NEVER;
  }
}

test('close() ends 50 open streams cleanly and promptly, and stops listening', async () => {
  const app = createApp({ controllers: [Quiet], closeGraceMs: 5000 });
  await app.listen(0, '127.0.0.1');
  const url = app.url;
  const streams = await Promise.all(Array.from({ length: 50 }, () => openStream(`${app.url}/quiet`)));
  assert.equal(app.stats.openStreams, 50);
  const before = Quiet.torn;
  const started = Date.now();
  await app.close();
  const took = Date.now() - started;
  // Clean ends, not cut sockets: every client saw its stream finish.
  await Promise.all(streams.map((s) => s.finished));
  assert.ok(streams.every((s) => s.ended));
  assert.equal(Quiet.torn - before, 50);
  assert.equal(app.stats.openStreams, 0);
  assert.ok(took < 5000, `close took ${took} ms, it must not wait for the grace period`);
  await assert.rejects(fetch(`${url}/quiet`));
});

test('close() does not hang on a client that never reads', async () => {
  const app = createApp({ controllers: [Quiet], closeGraceMs: 300 });
  const { port } = await app.listen(0, '127.0.0.1');
  const slow = rawRequest(port, 'GET /beats HTTP/1.1\r\nHost: x\r\n\r\n', { read: false });
  const ok = rawRequest(port, 'GET /quiet HTTP/1.1\r\nHost: x\r\n\r\n');
  await ok.waitForText('\r\n\r\n');
  await app.close();
  assert.equal(app.stats.openStreams, 0);
  slow.socket.destroy();
  ok.socket.destroy();
});

test('maxStreams and maxStreamsPerAddress answer 503 with Retry-After', async () => {
  const app = createApp({ controllers: [Quiet], maxStreams: 3 });
  await app.listen(0, '127.0.0.1');
  try {
    const open = await Promise.all([1, 2, 3].map(() => openStream(`${app.url}/quiet`)));
    const refused = await fetch(`${app.url}/quiet`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal((await refused.json()).code, 'EVENTIDE_TOO_MANY_STREAMS');
    assert.equal(app.stats.rejectedStreams, 1);
    await open[0].close();
    // A slot is free again once the server saw the disconnect.
    let again: Response | undefined;
    for (let i = 0; i < 200 && (!again || again.status !== 200); i++) {
      await again?.body?.cancel();
      again = await fetch(`${app.url}/quiet`);
    }
    assert.equal(again!.status, 200);
    await again!.body!.cancel();
    await Promise.all(open.slice(1).map((s) => s.close()));
  } finally {
    await app.close();
  }
  const perAddress = createApp({ controllers: [Quiet], maxStreamsPerAddress: 1 });
  await perAddress.listen(0, '127.0.0.1');
  try {
    const first = await openStream(`${perAddress.url}/quiet`);
    const second = await fetch(`${perAddress.url}/quiet`);
    assert.equal(second.status, 503);
    assert.match((await second.json()).message, /client address holds its maximum of 1/);
    await first.close();
  } finally {
    await perAddress.close();
  }
});

test('heartbeat comments keep quiet streams alive; one timer serves every connection', async () => {
  const app = createApp({ controllers: [Quiet] });
  await app.listen(0, '127.0.0.1');
  try {
    const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(`${app.url}/beats`)));
    await Promise.all(streams.map((s) => s.waitFor(() => s.comments.length >= 2, 5000, 'two heartbeats')));
    assert.ok(streams[0].text().includes(':\n'));
    assert.equal(streams[0].events.length, 0, 'heartbeats are comments, never events');
    await Promise.all(streams.map((s) => s.close()));
  } finally {
    await app.close();
  }
  const scheduler = new HeartbeatScheduler();
  const targets = Array.from({ length: 1000 }, () => ({ heartbeat() {} }));
  for (const t of targets) scheduler.add(t, 15_000);
  const other = { heartbeat() {} };
  scheduler.add(other, 5_000);
  assert.equal(scheduler.timerCount, 2, '1001 connections, two intervals, two timers');
  for (const t of targets) scheduler.remove(t, 15_000);
  assert.equal(scheduler.timerCount, 1);
  scheduler.remove(other, 5_000);
  assert.equal(scheduler.timerCount, 0);
});

test('invalid options are refused with a clear error', () => {
  assert.throws(() => createApp({ controllers: [Quiet], heartbeatMs: -1 }), /createApp option `heartbeatMs` must be 0 \(off\) or an integer from 1 to 2147483647, got -1/);
  assert.throws(() => createApp({ controllers: [Quiet], maxStreams: Number.NaN }), { code: 'EVENTIDE_INVALID_OPTION' });
  assert.throws(() => createApp({} as never), /needs an array of controller/);
  @Controller()
  class BadRoute {
    @Sse('x', { maxBufferedBytes: -5 })
    x() {
      return NEVER;
    }
  }
  assert.throws(() => createApp({ controllers: [BadRoute] }), /@Sse\('x'\) of BadRoute option `maxBufferedBytes` must be an integer >= 1, got -5/);
});
