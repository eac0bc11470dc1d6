// Errors before and after the stream opens, and hostile input: a clear answer each time, and the
// server keeps serving other clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, of, throwError, timer, map, NEVER } from 'rxjs';
import { Controller, Sse, Get, createApp, httpError, type App, type RequestContext } from '../../src/index.js';
import { openStream, rawRequest } from '../support/sse-client.js';

@Controller()
class Failing {
  @Sse('throws-sync')
  throwsSync(): never {
    throw new Error('secret internal detail');
  }

  @Sse('throws-async')
  async throwsAsync() {
    await new Promise((r) => setImmediate(r));
    throw new Error('secret async detail');
  }

  @Sse('forbidden')
  forbidden() {
    throw httpError(403, 'you may not watch this stream');
  }

  @Sse('errors-before-first')
  errorsBeforeFirst() {
    return throwError(() => new Error('secret emitted detail'));
  }

  @Sse('generator-throws-first')
  async *generatorThrowsFirst() {
    throw new Error('secret generator detail');
  }

  @Sse('errors-after-first')
  errorsAfterFirst() {
    return concat(of({ data: 'one' }), timer(5).pipe(map(() => { throw new Error('secret late detail'); })));
  }

  @Sse('exposed-after-first')
  exposedAfterFirst() {
    return concat(of({ data: 'one' }), timer(5).pipe(map(() => { throw httpError(409, 'the room closed'); })));
  }

  @Sse('bad-id-first')
  badIdFirst() {
    return of({ data: 'x', id: 'a\nb' });
  }

  @Sse('bad-event-later')
  badEventLater() {
    return concat(of({ data: 'ok' }), timer(5).pipe(map(() => ({ data: 'x', type: 'evil\r\nid: 666' }))), NEVER);
  }

  @Sse('nul-id-later')
  nulIdLater() {
    return concat(of({ data: 'ok' }), timer(5).pipe(map(() => ({ data: 'x', id: 'a\0b' }))), NEVER);
  }

  @Sse('no-content')
  noContent(ctx: RequestContext) {
    ctx.status(204);
  }

  @Sse('echo-last-event-id')
  echo(ctx: RequestContext) {
    return of({ data: { lastEventId: ctx.lastEventId ?? null } });
  }

  @Sse('unauthorized')
  unauthorized(ctx: RequestContext) {
    ctx.setHeader('X-Stream-Only', 'yes');
    throw httpError(401, 'sign in first', { headers: { 'WWW-Authenticate': 'Bearer realm="events"', 'Content-Type': 'text/html' } });
  }

  @Get('teapot')
  async teapot() {
    await new Promise((r) => setImmediate(r));
    throw httpError(429, 'slow down', { headers: { 'Retry-After': '7' } });
  }

  @Get('health')
  health() {
    return { ok: true };
  }
}

async function withApp(fn: (app: App, errors: unknown[]) => Promise<void>) {
  const errors: unknown[] = [];
  const app = createApp({ controllers: [Failing], onError: (e) => errors.push(e) });
  await app.listen(0, '127.0.0.1');
  try {
    await fn(app, errors);
    // Whatever happened, the server still serves.
    const res = await fetch(`${app.url}/health`);
    assert.deepEqual(await res.json(), { ok: true });
  } finally {
    await app.close();
  }
}

test('errors before the stream opens are HTTP errors with JSON bodies that hide internals', async () => {
  await withApp(async (app, errors) => {
    for (const path of ['throws-sync', 'throws-async', 'errors-before-first', 'generator-throws-first', 'bad-id-first']) {
      const res = await fetch(`${app.url}/${path}`);
      assert.equal(res.status, 500, path);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const text = await res.text();
      assert.doesNotMatch(text, /secret|a\\nb/, path);
      assert.deepEqual(JSON.parse(text), { statusCode: 500, error: 'Internal Server Error', code: 'EVENTIDE_INTERNAL', message: 'Internal Server Error' });
    }
    assert.equal(errors.length, 5);
    assert.equal((errors[4] as { code?: string }).code, 'EVENTIDE_INVALID_EVENT');
  });
});

test('httpError headers go out with the error answer; the stream\'s own headers do not', async () => {
  await withApp(async (app) => {
    const res = await fetch(`${app.url}/unauthorized`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="events"');
    assert.equal(res.headers.get('x-stream-only'), null);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', 'the JSON body keeps its type');
    assert.equal((await res.json()).message, 'sign in first');
    const limited = await fetch(`${app.url}/teapot`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.equal((await limited.json()).message, 'slow down');
  });
  // Headers that could split the answer are refused where the error is made, naming the header.
  assert.throws(() => httpError(401, 'x', { headers: { 'X-Evil': 'a\r\nSet-Cookie: s=1' } }), /X-Evil must be a string without CR, LF or NUL/);
  assert.throws(() => httpError(401, 'x', { headers: { 'Bad Name': 'v' } }), /"Bad Name" is not an HTTP token/);
  assert.throws(() => httpError(401, 'x', { headers: { 'X-Num': 7 as unknown as string } }), /X-Num must be a string/);
});

test('httpError gives its status and message', async () => {
  await withApp(async (app) => {
    const res = await fetch(`${app.url}/forbidden`);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { statusCode: 403, error: 'Forbidden', code: 'EVENTIDE_HTTP', message: 'you may not watch this stream' });
  });
});

test('an error after the first event ends the stream with one eventide-error event, no internals', async () => {
  await withApp(async (app, errors) => {
    const s = await openStream(`${app.url}/errors-after-first`);
    await s.finished;
    assert.deepEqual(
      s.events.map((e) => [e.type, e.data]),
      [
        ['message', 'one'],
        ['eventide-error', '{"code":"EVENTIDE_STREAM_FAILED","message":"The stream failed on the server"}'],
      ],
    );
    assert.doesNotMatch(s.text(), /secret/);
    assert.equal(errors.length, 1);

    const exposed = await openStream(`${app.url}/exposed-after-first`);
    await exposed.finished;
    assert.deepEqual(exposed.events[1], { type: 'eventide-error', data: '{"code":"EVENTIDE_HTTP","message":"the room closed"}', lastEventId: '', id: undefined });
  });
});

test('CR/LF in an event name or NUL in an id is refused, never written to the wire', async () => {
  await withApp(async (app, errors) => {
    for (const path of ['bad-event-later', 'nul-id-later']) {
      const s = await openStream(`${app.url}/${path}`);
      await s.finished;
      assert.deepEqual(s.events.map((e) => e.type), ['message', 'eventide-error'], path);
      assert.doesNotMatch(s.text(), /666|evil|a\0b/);
    }
    assert.deepEqual(errors.map((e) => (e as { code?: string }).code), ['EVENTIDE_INVALID_EVENT', 'EVENTIDE_INVALID_EVENT']);
  });
});

test('a handler can answer 204 to stop EventSource reconnecting', async () => {
  await withApp(async (app) => {
    const res = await fetch(`${app.url}/no-content`);
    assert.equal(res.status, 204);
    assert.equal(await res.text(), '');
    assert.equal(app.stats.openStreams, 0);
  });
});

test('hostile Last-Event-ID and request lines: bounded, clear answers', async () => {
  await withApp(async (app) => {
    const port = app.address!.port;
    // Huge header: node's header limit answers 431 and the server goes on.
    const huge = rawRequest(port, `GET /echo-last-event-id HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ${'x'.repeat(100_000)}\r\n\r\n`);
    await huge.waitForText(/^HTTP\/1\.1 431/);
    huge.socket.destroy();
    // Garbage and non-UTF-8 bytes reach the handler as a string, not as a crash.
    const garbage = rawRequest(port, Buffer.concat([
      Buffer.from('GET /echo-last-event-id HTTP/1.1\r\nHost: x\r\nLast-Event-ID: '),
      Buffer.from([0xff, 0xfe, 0x80, 0x41]),
      Buffer.from('\r\n\r\n'),
    ]));
    const text = await garbage.waitForText('lastEventId');
    assert.match(text, /data: \{"lastEventId":".+A"\}/);
    garbage.socket.destroy();
    // Query parameter for clients that cannot set headers.
    const q = await openStream(`${app.url}/echo-last-event-id?lastEventId=42`);
    await q.finished;
    assert.equal(q.events[0].data, '{"lastEventId":"42"}');
    // Header wins over the query parameter.
    const h = await openStream(`${app.url}/echo-last-event-id?lastEventId=42`, { headers: { 'Last-Event-ID': '7' } });
    await h.finished;
    assert.equal(h.events[0].data, '{"lastEventId":"7"}');
    // A malformed request line gets 400 from node; a bad percent-encoding gets 404, not a crash.
    const bad = rawRequest(port, 'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n');
    await bad.waitForText(/^HTTP\/1\.1 404/);
    bad.socket.destroy();
    const nonsense = rawRequest(port, 'NONSENSE\r\n\r\n');
    await nonsense.waitForText(/^HTTP\/1\.1 400/);
    nonsense.socket.destroy();
  });
});
