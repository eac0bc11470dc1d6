// Regression tests for the HTTP layer's hardening: each case once took down the process, a
// neighbour, a limit or a guarantee.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { interval, map, Observable, of, NEVER } from 'rxjs';
import {
  Controller, Sse, Get, Post, createApp, file, Hub, httpError, type RequestContext, type App,
} from '../../src/index.js';
import { openStream, rawRequest, eventually } from '../support/sse-client.js';

function collectErrors() {
  const errors: unknown[] = [];
  return { errors, onError: (err: unknown) => void errors.push(err) };
}

test('a handler that writes the head through ctx.res and returns a stream does not crash the flush loop', async () => {
  @Controller()
  class C {
    @Sse('own-head')
    ownHead(ctx: RequestContext) {
      ctx.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Own': 'yes' });
      return interval(5).pipe(map((i) => ({ data: String(i) })));
    }
    @Sse('ended')
    ended(ctx: RequestContext) {
      ctx.res.end('done by hand');
      return new Observable(() => { subscribed++; });
    }
    @Sse('tick')
    tick() {
      return interval(5).pipe(map((i) => ({ data: String(i) })));
    }
  }
  let subscribed = 0;
  const { errors, onError } = collectErrors();
  const app = createApp({ controllers: [C], onError });
  await app.listen(0, '127.0.0.1');
  try {
    const neighbour = await openStream(`${app.url}/tick`);
    const own = await openStream(`${app.url}/own-head`);
    assert.equal(own.response.headers.get('x-own'), 'yes');
    await own.waitForEvents(3);
    const ended = await fetch(`${app.url}/ended`);
    assert.equal(await ended.text(), 'done by hand');
    const before = neighbour.events.length;
    await neighbour.waitForEvents(before + 3);
    assert.equal(subscribed, 0, 'the source of a response the handler ended is never started');
    await own.close();
    await neighbour.close();
    assert.deepEqual(errors, []);
  } finally {
    await app.close();
  }
});

test('maxStreams and maxStreamsPerAddress hold for async handlers and POST bodies under concurrency', async () => {
  @Controller()
  class C {
    @Sse('slow')
    async slow() {
      await new Promise((r) => setTimeout(r, 20));
      return NEVER;
    }
    @Sse('post', { method: 'POST' })
    async post(ctx: RequestContext) {
      await new Promise((r) => setTimeout(r, 20));
      return of({ data: JSON.stringify(ctx.body) }).pipe(map((e) => e), (src) => new Observable((s) => { const sub = src.subscribe({ next: (v) => s.next(v) }); return sub; }));
    }
    @Sse('fails')
    async fails() {
      await new Promise((r) => setTimeout(r, 5));
      throw httpError(403, 'no');
    }
    @Get('plain')
    plain() {
      return 'ok';
    }
  }
  for (const [options, path] of [
    [{ maxStreams: 2 }, 'slow'],
    [{ maxStreamsPerAddress: 2 }, 'slow'],
    [{ maxStreams: 2 }, 'post'],
  ] as const) {
    const app = createApp({ controllers: [C], ...options, onError: () => undefined });
    await app.listen(0, '127.0.0.1');
    try {
      const init = path === 'post' ? { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } } : {};
      const controllers = Array.from({ length: 20 }, () => new AbortController());
      const responses = await Promise.all(controllers.map((c) => fetch(`${app.url}/${path}`, { ...init, signal: c.signal })));
      const statuses = responses.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 200).length, 2, `${JSON.stringify(options)} ${path}: ${statuses}`);
      assert.equal(statuses.filter((s) => s === 503).length, 18);
      assert.equal(app.stats.openStreams, 2);
      for (const c of controllers) c.abort();
      await eventually(() => app.stats.openStreams === 0, 5000, 'streams to close');
      // Slots were released: two new streams open again.
      const again = await Promise.all([openStream(`${app.url}/${path}`, init), openStream(`${app.url}/${path}`, init)]);
      assert.deepEqual(again.map((s) => s.response.status), [200, 200]);
      await Promise.all(again.map((s) => s.close()));
    } finally {
      await app.close();
    }
  }
  // A handler that fails, or a plain route, never keeps a slot.
  const app = createApp({ controllers: [C], maxStreams: 1, onError: () => undefined });
  await app.listen(0, '127.0.0.1');
  try {
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${app.url}/fails`)).status, 403);
    const s = await openStream(`${app.url}/slow`);
    assert.equal(s.response.status, 200);
    await s.close();
  } finally {
    await app.close();
  }
});

test('an error in the same turn as queued events still ends the stream with its eventide-error event', async () => {
  @Controller()
  class C {
    @Sse('burst-then-fail')
    burstThenFail() {
      return new Observable((subscriber) => {
        const timer = setTimeout(() => {
          for (let i = 0; i < 5; i++) subscriber.next({ data: `e${i}` });
          subscriber.error(httpError(409, 'conflict after events'));
        }, 10);
        return () => clearTimeout(timer);
      });
    }
    @Sse('fail-first-turn')
    failFirstTurn() {
      return new Observable((subscriber) => {
        subscriber.next({ data: 'a' });
        subscriber.next({ data: 'b' });
        subscriber.error(new Error('hidden'));
      });
    }
  }
  const { errors, onError } = collectErrors();
  const app = createApp({ controllers: [C], onError });
  await app.listen(0, '127.0.0.1');
  try {
    const s = await openStream(`${app.url}/burst-then-fail`);
    await s.finished;
    assert.deepEqual(s.events.map((e) => e.type === 'message' ? e.data : e.type), ['e0', 'e1', 'e2', 'e3', 'e4', 'eventide-error']);
    assert.deepEqual(JSON.parse(s.events[5].data), { code: 'EVENTIDE_HTTP', message: 'conflict after events' });
    // An error in the handler's own turn, before the stream opened: an HTTP error, events not sent.
    const r = await fetch(`${app.url}/fail-first-turn`);
    assert.equal(r.status, 500);
    assert.equal(errors.length, 2);
  } finally {
    await app.close();
  }
});

test('HEAD on every route kind answers the head a GET would get, with no body, holding nothing', async () => {
  const hub = new Hub();
  const dir = mkdtempSync(join(tmpdir(), 'eventide-head-'));
  writeFileSync(join(dir, 'a.txt'), 'hello');
  let started = 0;
  @Controller()
  class C {
    @Sse('news')
    news(ctx: RequestContext) {
      ctx.setHeader('X-Route', 'news');
      return hub.subscribe('news', { lastEventId: ctx.lastEventId });
    }
    @Sse('gen')
    async *gen() {
      started++;
      yield 'x';
    }
    @Sse('obs')
    obs() {
      return new Observable(() => { started++; });
    }
    @Get('json')
    json() {
      return { a: 1 };
    }
    @Get('file')
    file() {
      return file('a.txt', { root: dir });
    }
    @Post('only-post')
    onlyPost() {
      return 'posted';
    }
  }
  const app = createApp({ controllers: [C], maxStreams: 1 });
  await app.listen(0, '127.0.0.1');
  try {
    for (const path of ['news', 'gen', 'obs']) {
      const r = await fetch(`${app.url}/${path}`, { method: 'HEAD' });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /^text\/event-stream/);
      assert.equal(await r.text(), '');
    }
    assert.equal(started, 0);
    assert.equal(app.stats.openStreams, 0);
    assert.equal(app.stats.totalStreams, 0);
    const json = await fetch(`${app.url}/json`, { method: 'HEAD' });
    assert.equal(json.headers.get('content-length'), '7');
    const f = await fetch(`${app.url}/file`, { method: 'HEAD' });
    assert.equal(f.headers.get('content-length'), '5');
    const p = await fetch(`${app.url}/only-post`, { method: 'HEAD' });
    assert.equal(p.status, 405);
    assert.equal(p.headers.get('allow'), 'POST');
    // A request pipelined behind a HEAD on a stream route is answered.
    const port = app.address!.port;
    const raw = rawRequest(port, `HEAD /news HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const text = await raw.waitForText('{"a":1}');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*x-route: news[\s\S]*HTTP\/1\.1 200 OK/i);
    await raw.closed;
    // No subscription was left on the hub.
    assert.equal(app.stats.openStreams, 0);
  } finally {
    await app.close();
    await hub.close();
    rmSync(dir, { recursive: true });
  }
});

test('405 Allow lists HEAD wherever GET is allowed', async () => {
  @Controller()
  class C {
    @Get('thing') get() { return 1; }
    @Sse('stream') stream() { return NEVER; }
  }
  const app = createApp({ controllers: [C] });
  await app.listen(0, '127.0.0.1');
  try {
    for (const path of ['thing', 'stream']) {
      const r = await fetch(`${app.url}/${path}`, { method: 'DELETE' });
      assert.equal(r.status, 405);
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
    }
  } finally {
    await app.close();
  }
});

test('close() lets an ordinary request in flight finish, and refuses new streams meanwhile', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => (entered = r));
  let published = 0;
  @Controller()
  class C {
    @Post('publish')
    async publish() {
      entered();
      await gate;
      published++;
      return { ok: true };
    }
  }
  const app = createApp({ controllers: [C], closeGraceMs: 5000 });
  await app.listen(0, '127.0.0.1');
  const pending = fetch(`${app.url}/publish`, { method: 'POST', body: 'x' });
  await inHandler;
  const closing = app.close();
  setImmediate(release);
  const response = await pending;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { ok: true });
  await closing;
  assert.equal(published, 1);
});

test('close() on an app mounted through app.handler cuts clients that never read, after closeGraceMs', async () => {
  const payload = 'x'.repeat(64 * 1024);
  const sockets: import('node:net').Socket[] = [];
  @Controller()
  class C {
    @Sse('firehose')
    firehose(ctx: RequestContext) {
      sockets.push(ctx.req.socket);
      return interval(1).pipe(map(() => ({ data: payload })));
    }
  }
  const app = createApp({ controllers: [C], closeGraceMs: 200, maxBufferedBytes: 64 * 1024 * 1024, maxQueuedEvents: 1_000_000 });
  const server = createServer(app.handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  try {
    const raw = rawRequest(port, 'GET /firehose HTTP/1.1\r\nHost: x\r\n\r\n', { read: false });
    await eventually(() => app.stats.openStreams === 1, 5000, 'the stream to open');
    // The client's and the kernel's buffers are full: bytes wait in the server's socket.
    await eventually(() => sockets[0].writableLength > 1024 * 1024, 10_000, 'a backlog on the server side');
    await app.close();
    // Cut on the server side, although the client never read (a paused client sees no FIN).
    assert.equal(sockets[0].destroyed, true);
    raw.socket.destroy();
    await raw.closed;
    assert.equal(app.stats.openStreams, 0);
    // New streams are refused after close.
    const r = await fetch(`http://127.0.0.1:${port}/firehose`);
    assert.equal(r.status, 503);
    await r.body?.cancel();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('file(): a parameter cannot leave its root, aborted downloads release the descriptor, ranges and conditional requests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-files-'));
  const big = Buffer.alloc(8 * 1024 * 1024, 97);
  writeFileSync(join(dir, 'big.bin'), big);
  writeFileSync(join(dir, 'small.txt'), '0123456789');
  @Controller('assets')
  class Assets {
    @Get(':name')
    asset(ctx: RequestContext) {
      return file(ctx.params.name, { root: dir });
    }
    @Get('joined/:name')
    joined(ctx: RequestContext) {
      return file(join(dir, ctx.params.name), { root: dir });
    }
  }
  const app = createApp({ controllers: [Assets] });
  await app.listen(0, '127.0.0.1');
  const openFds = () => readdirSync('/proc/self/fd').length;
  try {
    for (const path of ['..%2F..%2F..%2Fetc%2Fpasswd', '..%2f..%2fetc%2fpasswd', 'joined/..%2F..%2F..%2Fetc%2Fpasswd', '..', '%2Fetc%2Fpasswd', 'joined/..', '%00']) {
      const r = await fetch(`${app.url}/assets/${path}`);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(await r.text(), /root:/);
    }
    // Range and conditional requests.
    const range = await fetch(`${app.url}/assets/small.txt`, { headers: { range: 'bytes=2-4' } });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get('content-range'), 'bytes 2-4/10');
    assert.equal(await range.text(), '234');
    const suffix = await fetch(`${app.url}/assets/small.txt`, { headers: { range: 'bytes=-3' } });
    assert.equal(await suffix.text(), '789');
    const bad = await fetch(`${app.url}/assets/small.txt`, { headers: { range: 'bytes=50-' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */10');
    await bad.body?.cancel();
    const full = await fetch(`${app.url}/assets/small.txt`);
    const etag = full.headers.get('etag')!;
    assert.equal(await full.text(), '0123456789');
    const cached = await fetch(`${app.url}/assets/small.txt`, { headers: { 'if-none-match': etag } });
    assert.equal(cached.status, 304);
    const since = await fetch(`${app.url}/assets/small.txt`, { headers: { 'if-modified-since': full.headers.get('last-modified')! } });
    assert.equal(since.status, 304);
    // Aborted downloads: the descriptor count returns to where it was.
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      const raw = rawRequest(app.address!.port, 'GET /assets/big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
      await raw.waitForText('HTTP/1.1 200');
      raw.socket.destroy();
      await raw.closed;
    }
    await eventually(() => openFds() <= before, 5000, `open descriptors to return to ${before} (now ${openFds()})`);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true });
  }
});

test('a throwing onError is caught: the request is answered, the process stays up, streams go on', async () => {
  @Controller()
  class C {
    @Get('boom')
    boom() {
      throw new Error('handler failed');
    }
    @Sse('bad-event')
    badEvent() {
      return of({ data: 'x', id: 'a\nb' });
    }
    @Sse('tick')
    tick() {
      return interval(5).pipe(map((i) => ({ data: String(i) })));
    }
  }
  const stderr: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void stderr.push(args);
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => void unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  const app = createApp({
    controllers: [C],
    onError: () => {
      throw new Error('onError itself failed');
    },
  });
  await app.listen(0, '127.0.0.1');
  try {
    const tick = await openStream(`${app.url}/tick`);
    const r = await fetch(`${app.url}/boom`);
    assert.equal(r.status, 500);
    const bad = await openStream(`${app.url}/bad-event`);
    await bad.finished;
    const n = tick.events.length;
    await tick.waitForEvents(n + 3);
    await tick.close();
    assert.equal(stderr.length, 2);
    assert.match(String(stderr[0][0]), /onError callback threw/);
    assert.deepEqual(unhandled, []);
  } finally {
    console.error = original;
    process.off('unhandledRejection', onUnhandled);
    await app.close();
  }
});

test('an async generator under lowered bounds pauses for a client that reads as fast as it can, never cut', async () => {
  const count = 5000;
  @Controller()
  class C {
    @Sse('events', { maxQueuedEvents: 500 })
    async *events() {
      for (let i = 0; i < count; i++) yield { data: `event ${i} ${'x'.repeat(40)}` };
    }
    @Sse('bytes', { maxBufferedBytes: 16 * 1024 })
    async *bytes() {
      for (let i = 0; i < count; i++) yield { data: `event ${i} ${'y'.repeat(200)}` };
    }
    @Sse('stream', { maxBufferedBytes: 16 * 1024, maxQueuedEvents: 100 })
    stream() {
      let i = 0;
      return new ReadableStream({
        pull(controller) {
          if (i === count) controller.close();
          else controller.enqueue({ data: `chunk ${i++} ${'z'.repeat(100)}` });
        },
      });
    }
  }
  const { errors, onError } = collectErrors();
  const app = createApp({ controllers: [C], onError });
  await app.listen(0, '127.0.0.1');
  try {
    for (const path of ['events', 'bytes', 'stream']) {
      const s = await openStream(`${app.url}/${path}`, {}, { keepRaw: false });
      await s.finished;
      assert.equal(s.events.length, count, path);
    }
    assert.equal(app.stats.slowClientsClosed, 0);
    assert.deepEqual(errors, []);
  } finally {
    await app.close();
  }
});

test('timers past Node\'s 2^31-1 ms cap and other out-of-range options are refused at start-up, naming the option', () => {
  @Controller()
  class C {
    @Sse('x') x() { return NEVER; }
  }
  const fortyDays = 40 * 24 * 3600 * 1000;
  assert.throws(() => createApp({ controllers: [C], heartbeatMs: fortyDays }), /heartbeatMs/);
  assert.throws(() => createApp({ controllers: [C], closeGraceMs: fortyDays }), /closeGraceMs/);
  assert.throws(() => createApp({ controllers: [C], maxStreams: -1 }), /maxStreams/);
  assert.throws(() => createApp({ controllers: [C], maxStreams: 1.5 }), /maxStreams/);
  assert.throws(() => createApp({ controllers: [C], trustProxy: 'yes' as never }), /trustProxy/);
  assert.throws(() => createApp({ controllers: [C], onError: 'log' as never }), /onError/);
  @Controller()
  class D {
    @Sse('y', { heartbeatMs: fortyDays }) y() { return NEVER; }
  }
  assert.throws(() => createApp({ controllers: [D] }), /heartbeatMs/);
  // 0 still disables the heartbeat.
  createApp({ controllers: [C], heartbeatMs: 0 });
});

test('ctx.url resolves against Host; trustProxy decides ctx.ip and the per-address limit', async () => {
  const seen: { url: string; ip: string }[] = [];
  @Controller()
  class C {
    @Get('where')
    where(ctx: RequestContext) {
      seen.push({ url: ctx.url.href, ip: ctx.ip });
      return 'ok';
    }
    @Sse('s')
    s() {
      return NEVER;
    }
  }
  const direct = createApp({ controllers: [C], maxStreamsPerAddress: 1 });
  const proxied = createApp({ controllers: [C], maxStreamsPerAddress: 1, trustProxy: 1 });
  await direct.listen(0, '127.0.0.1');
  await proxied.listen(0, '127.0.0.1');
  const open: Awaited<ReturnType<typeof openStream>>[] = [];
  try {
    const port = direct.address!.port;
    const raw = rawRequest(port, 'GET /where?q=1 HTTP/1.1\r\nHost: example.test:8080\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n');
    await raw.closed;
    assert.deepEqual(seen.pop(), { url: 'http://example.test:8080/where?q=1', ip: '127.0.0.1' });
    const rawBad = rawRequest(port, 'GET /where HTTP/1.1\r\nHost: bad host\r\nConnection: close\r\n\r\n');
    await rawBad.closed;
    assert.equal(seen.pop()!.url, 'http://localhost/where');
    await fetch(`${proxied.url}/where`, { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' } });
    assert.equal(seen.pop()!.ip, '203.0.113.9');
    // Two clients behind the proxy each get their stream; without trustProxy they share the proxy's address.
    open.push(await openStream(`${proxied.url}/s`, { headers: { 'x-forwarded-for': '203.0.113.1' } }));
    open.push(await openStream(`${proxied.url}/s`, { headers: { 'x-forwarded-for': '203.0.113.2' } }));
    assert.deepEqual(open.map((s) => s.response.status), [200, 200]);
    const third = await fetch(`${proxied.url}/s`, { headers: { 'x-forwarded-for': '203.0.113.2' } });
    assert.equal(third.status, 503);
    open.push(await openStream(`${direct.url}/s`, { headers: { 'x-forwarded-for': '203.0.113.1' } }));
    const fourth = await fetch(`${direct.url}/s`, { headers: { 'x-forwarded-for': '203.0.113.2' } });
    assert.equal(fourth.status, 503);
  } finally {
    await Promise.all(open.map((s) => s.close()));
    await direct.close();
    await proxied.close();
  }
});
