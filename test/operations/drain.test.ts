// Graceful drain, health and the operations event hook, in one process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEVER } from 'rxjs';
import { Controller, Sse, createApp, healthController, hubReadiness, Hub, type App, type OperationsEvent } from '../../src/index.js';
import { openStream } from '../support/sse-client.js';

@Controller()
class Quiet {
  @Sse('quiet/:n')
  quiet() {
    return NEVER;
  }
}

test('drain(): 503 with Retry-After for new streams, every stream gets a jittered retry: and ends at its staggered time, then close', async () => {
  const events: { at: number; event: OperationsEvent }[] = [];
  const app = createApp({ controllers: [Quiet], onEvent: (event) => events.push({ at: performance.now(), event }) });
  await app.listen(0, '127.0.0.1');
  const url = app.url;
  const n = 40;
  const streams = await Promise.all(Array.from({ length: n }, (_, i) => openStream(`${url}/quiet/${i}`)));
  assert.equal(app.stats.openStreams, n);
  assert.equal((await app.health()).ready, true);

  const withinMs = 400;
  const retryMs = 200;
  const jitterMs = 100;
  const drained = app.drain({ withinMs, retryMs, jitterMs });
  assert.equal(app.draining, true);
  const health = await app.health();
  assert.equal(health.status, 'draining');
  assert.equal(health.ready, false);
  assert.equal(health.live, true);
  const refused = await fetch(`${url}/quiet/new`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '5');
  await refused.arrayBuffer();
  await drained;
  await Promise.all(streams.map((s) => s.finished));

  for (const s of streams) {
    assert.ok(s.ended, 'each stream ended cleanly');
    const match = /retry: (\d+)\n\n$/.exec(s.text());
    assert.ok(match, `each stream ends with a retry: frame, got ${JSON.stringify(s.text())}`);
    const retry = Number(match[1]);
    assert.ok(retry >= retryMs && retry <= retryMs + jitterMs, `retry ${retry} within [${retryMs}, ${retryMs + jitterMs}]`);
  }
  const retries = new Set(streams.map((s) => /retry: (\d+)/.exec(s.text())![1]));
  assert.ok(retries.size > 1, 'retry values are jittered');

  const started = events.find((e) => e.event.type === 'drain.started')!;
  assert.deepEqual(started.event, { type: 'drain.started', streams: n, withinMs });
  const closes = events.filter((e) => e.event.type === 'stream.closed').map((e) => e.at - started.at).sort((a, b) => a - b);
  assert.equal(closes.length, n);
  // Staggered: stream i never leaves before (i + 1/2) * withinMs / n.
  closes.forEach((t, i) => assert.ok(t >= ((i + 0.5) * withinMs) / n - 1, `close ${i} at ${t.toFixed(1)} ms is not early`));
  for (const e of events) if (e.event.type === 'stream.closed') assert.equal(e.event.reason, 'drain');
  const rejected = events.find((e) => e.event.type === 'stream.rejected')!.event;
  assert.deepEqual(rejected, { type: 'stream.rejected', route: '/quiet/:n', address: '127.0.0.1', reason: 'draining' });
  assert.ok(events.some((e) => e.event.type === 'drain.finished'));
  // Then the app is closed.
  await assert.rejects(fetch(`${url}/quiet/after`));
  assert.equal(await app.drain(), undefined, 'a second drain returns the same settled promise');
});

test('the event hook: opened / closed with reason and duration, errors with code; a throwing listener is reported, nothing else', async () => {
  const seen: OperationsEvent[] = [];
  const errors: unknown[] = [];
  const app = createApp({ controllers: [Quiet], onError: (e) => errors.push(e) });
  app.observe(() => {
    throw new Error('listener broke');
  });
  const stop = app.observe((e) => seen.push(e));
  await app.listen(0, '127.0.0.1');
  try {
    const s = await openStream(`${app.url}/quiet/1`);
    await s.close();
    await waitFor(() => seen.some((e) => e.type === 'stream.closed'));
    const opened = seen.find((e) => e.type === 'stream.opened')!;
    assert.deepEqual(opened, { type: 'stream.opened', route: '/quiet/:n', address: '127.0.0.1' });
    const closed = seen.find((e) => e.type === 'stream.closed');
    assert.ok(closed && closed.type === 'stream.closed');
    assert.equal(closed.reason, 'client');
    assert.ok(closed.durationMs > 0);
    assert.ok(errors.some((e) => (e as Error).message === 'listener broke'), 'the throwing listener was reported');
    stop();
    const count = seen.length;
    const again = await openStream(`${app.url}/quiet/2`);
    await again.close();
    assert.equal(seen.length, count, 'a removed listener hears nothing');
  } finally {
    await app.close();
  }
});

test('health: a failing readiness check makes the app not ready; healthController serves /livez and /readyz', async () => {
  let redisUp = true;
  const hub = new Hub();
  const app: App = createApp({
    controllers: [Quiet, healthController(() => app)],
    readiness: { backend: () => redisUp, hub: hubReadiness(hub) },
  });
  await app.listen(0, '127.0.0.1');
  try {
    let ready = await fetch(`${app.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    assert.equal(body.status, 'ok');
    assert.equal(body.checks.hub!.ok, true);
    redisUp = false;
    ready = await fetch(`${app.url}/readyz`);
    assert.equal(ready.status, 503);
    const down = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
    assert.equal(down.status, 'unavailable');
    assert.deepEqual(down.checks.backend, { ok: false, error: 'the check returned false' });
    const live = await fetch(`${app.url}/livez`);
    assert.equal(live.status, 200);
    await live.arrayBuffer();
    const report = await app.health();
    assert.equal(report.ready, false);
  } finally {
    await app.close();
    await hub.close();
  }
  assert.throws(() => createApp({ controllers: [Quiet], readiness: { x: 1 as never } }), /readiness\.x/);
  assert.throws(() => createApp({ controllers: [Quiet], drainOnSigterm: { withinMs: -1 } }), /withinMs/);
});

test('drainOnSigterm: SIGTERM drains, closes, then calls onDrained', async () => {
  let done!: () => void;
  const drained = new Promise<void>((r) => (done = r));
  const app = createApp({ controllers: [Quiet], drainOnSigterm: { withinMs: 50, onDrained: done } });
  await app.listen(0, '127.0.0.1');
  const url = app.url;
  const s = await openStream(`${url}/quiet/1`);
  const before = process.listenerCount('SIGTERM');
  process.emit('SIGTERM');
  await drained;
  await s.finished;
  assert.match(s.text(), /retry: \d+\n\n$/);
  assert.equal(process.listenerCount('SIGTERM'), before - 1, 'the listener is removed once closed');
  await assert.rejects(fetch(`${url}/quiet/2`));
});

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setImmediate(r));
  }
}

test('drain(): bad options are refused clearly; no streams resolves at once; a client that never reads does not hold the drain up', async () => {
  const app = createApp({ controllers: [Quiet], closeGraceMs: 200 });
  assert.throws(() => app.drain({ withinMs: 'soon' as never }), (err: Error & { code?: string }) => err.code === 'EVENTIDE_INVALID_OPTION' && /withinMs/.test(err.message));
  assert.throws(() => app.drain({ retryMs: -5 }), /retryMs/);
  await app.listen(0, '127.0.0.1');
  const port = app.address!.port;
  // A client that sends its request and then never reads: the drain ends its stream and closes.
  const { rawRequest } = await import('../support/sse-client.js');
  const stuck = rawRequest(port, 'GET /quiet/1 HTTP/1.1\r\nHost: x\r\n\r\n', { read: false });
  await waitFor(() => app.stats.openStreams === 1);
  const started = performance.now();
  await app.drain({ withinMs: 0 });
  assert.ok(performance.now() - started < 5000);
  assert.equal(app.stats.openStreams, 0);
  stuck.socket.destroy();

  const empty = createApp({ controllers: [Quiet] });
  await empty.listen(0, '127.0.0.1');
  await empty.drain({ withinMs: 60_000 });
  assert.equal(empty.draining, true);
});
