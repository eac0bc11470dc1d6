// The web platform in-process on Node: app.fetch and createFetchHandler answer Responses; stream
// bodies are ReadableStreams driven by the connection (coalescing, backpressure, slow clients,
// heartbeats, teardown once); mounted in Hono under a path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { Observable, Subject } from 'rxjs';
import { Controller, Get, Post, Sse, createApp, file, type RequestContext } from '../../src/index.js';
import { createFetchHandler } from '../../src/web.js';
import { createParser } from '../../src/protocol/parse.js';
import type { ParsedEvent } from '../../src/protocol/types.js';

const utf8 = new TextDecoder();

async function eventually(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Reads events from a stream body until `n` arrived. */
async function readEvents(body: ReadableStream<Uint8Array>, n: number): Promise<{ events: ParsedEvent[]; chunks: string[]; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const events: ParsedEvent[] = [];
  const chunks: string[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const reader = body.getReader();
  while (events.length < n) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(utf8.decode(value));
    parser.feed(value);
  }
  return { events, chunks, reader };
}

test('ordinary routes answer Responses: JSON, text, 204, errors as JSON, 404 and 405, bodies under the limit', async () => {
  @Controller()
  class Plain {
    @Get('json')
    json() {
      return { ok: true };
    }
    @Get('text')
    text(ctx: RequestContext) {
      ctx.setHeader('X-Seen', ctx.ip || 'none');
      return `hello ${ctx.query.name}`;
    }
    @Get('nothing')
    nothing() {}
    @Get('boom')
    boom() {
      throw new Error('secret detail');
    }
    @Post('echo')
    echo(ctx: RequestContext) {
      return { got: ctx.body };
    }
  }
  const errors: unknown[] = [];
  const app = createFetchHandler({ controllers: [Plain], bodyLimit: 64, onError: (err) => errors.push(err) });
  try {
    const json = await app.fetch(new Request('http://app.test/json'));
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await json.json(), { ok: true });

    const text = await app.fetch(new Request('http://app.test/text?name=web'), { remoteAddr: { hostname: '10.1.2.3' } });
    assert.equal(await text.text(), 'hello web');
    assert.equal(text.headers.get('x-seen'), '10.1.2.3', 'the client address comes from the host info (Deno shape)');

    const nothing = await app.fetch(new Request('http://app.test/nothing'));
    assert.equal(nothing.status, 204);
    assert.equal(nothing.body, null);

    const boom = await app.fetch(new Request('http://app.test/boom'));
    assert.equal(boom.status, 500);
    const body = (await boom.json()) as { code: string; message: string };
    assert.equal(body.code, 'EVENTIDE_INTERNAL');
    assert.ok(!JSON.stringify(body).includes('secret detail'), 'internal messages stay on the server');
    assert.equal(errors.length, 1);

    assert.equal((await app.fetch(new Request('http://app.test/missing'))).status, 404);
    const wrong = await app.fetch(new Request('http://app.test/json', { method: 'DELETE' }));
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD');

    const echo = await app.fetch(new Request('http://app.test/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' }));
    assert.deepEqual(await echo.json(), { got: { a: [1, 2] } });
    const big = await app.fetch(new Request('http://app.test/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(65) }));
    assert.equal(big.status, 413);
    // A body with no declared length, streamed past the limit, is refused too.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(30));
        controller.close();
      },
    });
    const streamed = await app.fetch(new Request('http://app.test/echo', { method: 'POST', body: chunks, duplex: 'half' } as RequestInit));
    assert.equal(streamed.status, 413);
    const bad = await app.fetch(new Request('http://app.test/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }));
    assert.equal(bad.status, 400);
  } finally {
    await app.close();
  }
});

test('createApp exposes the same app as app.fetch: stream headers, events in order, counters shared', async () => {
  @Controller()
  class Clock {
    @Sse('ticks')
    ticks() {
      return new Observable<{ data: number; id: string }>((sub) => {
        for (let i = 1; i <= 3; i++) sub.next({ data: i, id: String(i) });
        sub.complete();
      });
    }
  }
  const app = createApp({ controllers: [Clock] });
  try {
    const response = await app.fetch(new Request('http://app.test/ticks'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache, no-transform');
    const text = await response.text();
    assert.equal(text, 'id: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n');
    assert.equal(app.stats.totalStreams, 1);
    await eventually(() => app.stats.openStreams === 0, 'the stream to close');
  } finally {
    await app.close();
  }
});

test('a burst published in one turn is one chunk of the body (writes coalesced per turn)', async () => {
  const subject = new Subject<{ data: number }>();
  @Controller()
  class Burst {
    @Sse('burst')
    burst() {
      return subject;
    }
  }
  const app = createFetchHandler({ controllers: [Burst] });
  try {
    const response = await app.fetch(new Request('http://app.test/burst'));
    await eventually(() => subject.observed, 'the subscription');
    for (let i = 0; i < 100; i++) subject.next({ data: i });
    const { events, chunks, reader } = await readEvents(response.body!, 100);
    assert.equal(events.length, 100);
    assert.equal(chunks.length, 1, `the burst came in ${chunks.length} chunks`);
    await reader.cancel();
  } finally {
    await app.close();
  }
});

for (const how of ['the body is cancelled', "the request's signal aborts"] as const) {
  test(`teardown runs exactly once when ${how}, for 50 streams`, async () => {
    let subscribed = 0;
    let teardowns = 0;
    let aborts = 0;
    @Controller()
    class Live {
      @Sse('live')
      live(ctx: RequestContext) {
        ctx.signal.addEventListener('abort', () => aborts++);
        return new Observable<{ data: string }>((sub) => {
          subscribed++;
          sub.next({ data: 'hello' });
          return () => teardowns++;
        });
      }
    }
    const app = createFetchHandler({ controllers: [Live] });
    try {
      for (let i = 0; i < 50; i++) {
        const controller = new AbortController();
        const response = await app.fetch(new Request('http://app.test/live', { signal: controller.signal }));
        const { events, reader } = await readEvents(response.body!, 1);
        assert.equal(events[0].data, 'hello');
        if (how === 'the body is cancelled') await reader.cancel();
        else controller.abort();
        // Both at once must still tear down once.
        if (i % 2 === 1) {
          controller.abort();
          await reader.cancel().catch(() => {});
        }
      }
      await eventually(() => app.stats.openStreams === 0 && teardowns === 50 && aborts === 50, 'every stream to close');
      assert.equal(subscribed, 50);
      assert.equal(teardowns, 50, 'one teardown per stream');
      assert.equal(aborts, 50, 'one abort per stream');
      assert.equal(app.stats.totalStreams, 50);
    } finally {
      await app.close();
    }
  });
}

test('a body nobody reads is closed by the slow-client policy; what the server holds stays under the bound', async () => {
  const subject = new Subject<{ data: string }>();
  const reasons: string[] = [];
  @Controller()
  class Push {
    @Sse('push')
    push(ctx: RequestContext) {
      ctx.signal.addEventListener('abort', () => reasons.push((ctx.signal.reason as { code: string }).code));
      return subject;
    }
  }
  const maxBufferedBytes = 128 * 1024;
  const app = createFetchHandler({ controllers: [Push], maxBufferedBytes });
  try {
    const slow = await app.fetch(new Request('http://app.test/push'));
    const fast = await app.fetch(new Request('http://app.test/push'));
    const payload = 'x'.repeat(1024);
    const count = 2048; // 2 MiB, sixteen times the bound
    const reading = readEvents(fast.body!, count);
    for (let i = 0; i < count; i++) {
      subject.next({ data: payload });
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    const { events, reader } = await reading;
    assert.equal(events.length, count, 'the reading client got every event');
    assert.equal(app.stats.slowClientsClosed, 1);
    assert.deepEqual(reasons, ['EVENTIDE_SLOW_CLIENT']);
    // The slow body was cut: it fails rather than ending as if complete, and what it still holds
    // is within the bound.
    const slowReader = slow.body!.getReader();
    let held = 0;
    await assert.rejects(async () => {
      for (;;) {
        const { done, value } = await slowReader.read();
        if (done) break;
        held += value.byteLength;
      }
    });
    assert.ok(held <= maxBufferedBytes, `the slow body held ${held} bytes`);
    await reader.cancel();
  } finally {
    await app.close();
  }
});

test('a pull source follows the reader: desiredSize and pull pace the producer', async () => {
  let produced = 0;
  @Controller()
  class Pull {
    @Sse('pull')
    async *pull() {
      for (;;) {
        produced++;
        yield { data: 'y'.repeat(1000) };
      }
    }
  }
  const maxBufferedBytes = 256 * 1024;
  const app = createFetchHandler({ controllers: [Pull], maxBufferedBytes });
  try {
    const response = await app.fetch(new Request('http://app.test/pull'));
    const reader = response.body!.getReader();
    let consumedBytes = 0;
    let peakAhead = 0;
    for (let i = 0; i < 200; i++) {
      const { value } = await reader.read();
      consumedBytes += value!.byteLength;
      // Give the producer every chance to run ahead.
      await new Promise((r) => setImmediate(r));
      peakAhead = Math.max(peakAhead, produced * 1008 - consumedBytes);
    }
    assert.ok(peakAhead < maxBufferedBytes, `the producer ran ${peakAhead} bytes ahead of the reader`);
    assert.equal(app.stats.slowClientsClosed, 0, 'a pull source is paced, never closed as slow');
    await reader.cancel();
    await eventually(() => app.stats.openStreams === 0, 'the stream to close');
  } finally {
    await app.close();
  }
});

test('heartbeats keep a quiet body alive as comment lines', async () => {
  @Controller()
  class Quiet {
    @Sse('quiet', { heartbeatMs: 20 })
    quiet() {
      return new Subject();
    }
  }
  const app = createFetchHandler({ controllers: [Quiet] });
  // Heartbeat timers do not hold the process open (a server does); nothing else does here.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const response = await app.fetch(new Request('http://app.test/quiet'));
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes(':\n:\n')) text += utf8.decode((await reader.read()).value);
    assert.match(text, /^(:\n)+$/);
    await reader.cancel();
  } finally {
    clearInterval(keepAlive);
    await app.close();
  }
});

test('file() through a fetch handler: whole file, byte ranges, HEAD, missing file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-web-'));
  const path = join(dir, 'data.txt');
  writeFileSync(path, 'abcdefghij'.repeat(20_000));
  @Controller()
  class Files {
    @Get('data')
    data() {
      return file(path);
    }
    @Get('gone')
    gone() {
      return file(join(dir, 'nope.txt'));
    }
  }
  const app = createFetchHandler({ controllers: [Files] });
  try {
    const whole = await app.fetch(new Request('http://app.test/data'));
    assert.equal(whole.status, 200);
    assert.equal((await whole.text()).length, 200_000);
    const range = await app.fetch(new Request('http://app.test/data', { headers: { range: 'bytes=3-6' } }));
    assert.equal(range.status, 206);
    assert.equal(await range.text(), 'defg');
    const head = await app.fetch(new Request('http://app.test/data', { method: 'HEAD' }));
    assert.equal(head.status, 200);
    assert.equal(head.body, null);
    assert.equal((await app.fetch(new Request('http://app.test/gone'))).status, 404);
    // A client that leaves mid-file releases it.
    const partial = await app.fetch(new Request('http://app.test/data'));
    const reader = partial.body!.getReader();
    await reader.read();
    await reader.cancel();
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close() ends open stream bodies cleanly and refuses new streams with 503', async () => {
  @Controller()
  class Open {
    @Sse('open')
    open() {
      return new Observable((sub) => sub.next({ data: 'first' }));
    }
  }
  const app = createFetchHandler({ controllers: [Open], closeGraceMs: 500 });
  const response = await app.fetch(new Request('http://app.test/open'));
  const { reader } = await readEvents(response.body!, 1);
  const closing = app.close();
  for (;;) if ((await reader.read()).done) break;
  await closing;
  const refused = await app.fetch(new Request('http://app.test/open'));
  assert.equal(refused.status, 503);
  assert.equal(app.stats.openStreams, 0);
});

test('mounted in a Hono app under a path: streams and ordinary routes answer through Hono', async () => {
  @Controller('feed')
  class Feed {
    @Sse('events')
    events(ctx: RequestContext) {
      return new Observable<{ data: string }>((sub) => {
        sub.next({ data: ctx.url.pathname });
        sub.complete();
      });
    }
    @Get('status')
    status() {
      return 'up';
    }
  }
  const app = createFetchHandler({ controllers: [Feed] });
  const hono = new Hono();
  hono.get('/', (c) => c.text('hono home'));
  hono.mount('/sse', app.fetch);
  try {
    assert.equal(await (await hono.request('/')).text(), 'hono home');
    assert.equal(await (await hono.request('/sse/feed/status')).text(), 'up');
    const stream = await hono.request('/sse/feed/events');
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(await stream.text(), 'data: /feed/events\n\n');
    assert.equal((await hono.request('/feed/status')).status, 404, 'only the mount path reaches eventide');
  } finally {
    await app.close();
  }
});
