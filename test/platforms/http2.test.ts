// What only HTTP/2 has: many streams on one session, each ending on its own; flow control as the
// backpressure signal; GOAWAY on close; HTTP/1.1 beside HTTP/2 over TLS; option checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Http2ServerResponse } from 'node:http2';
import { NEVER, Observable, Subject } from 'rxjs';
import { Controller, Sse, createApp, isEventideError, type RequestContext } from '../../src/index.js';
import { createParser } from '../../src/protocol/parse.js';
import { selfSignedCertificate } from './http2-client.js';

const { key, cert } = selfSignedCertificate();

async function eventually(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Opens a stream on `session` and collects its head and events. */
function open(session: ClientHttp2Session, path: string, options: { read?: boolean } = {}) {
  const stream: ClientHttp2Stream = session.request({ ':path': path });
  stream.on('error', () => undefined);
  const events: string[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e.data) });
  if (options.read !== false) stream.on('data', (chunk: Buffer) => parser.feed(chunk));
  const head = new Promise<IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  let ended = false;
  stream.once('end', () => (ended = true));
  return { stream, events, head, closed, get ended() { return ended; } };
}

test('many streams share one session; each ends on its own, and the session carries on', async () => {
  const teardown: string[] = [];
  const subject = new Subject<{ data: string }>();
  @Controller()
  class Rooms {
    @Sse('rooms/:room')
    room(ctx: RequestContext) {
      return new Observable<{ data: string }>((sub) => {
        const inner = subject.subscribe((e) => sub.next({ data: `${ctx.params.room}:${e.data}` }));
        return () => {
          inner.unsubscribe();
          teardown.push(ctx.params.room);
        };
      });
    }
  }
  const app = createApp({ controllers: [Rooms], http2: { cleartext: true } });
  await app.listen(0, '127.0.0.1');
  const session = connect(app.url);
  session.on('error', () => undefined);
  try {
    const streams = ['a', 'b', 'c', 'd'].map((room) => open(session, `/rooms/${room}`));
    const heads = await Promise.all(streams.map((s) => s.head));
    for (const head of heads) {
      assert.equal(head[':status'], 200);
      assert.equal(head['content-type'], 'text/event-stream; charset=utf-8');
      assert.equal(head['connection'], undefined, 'no Connection header on HTTP/2');
    }
    await eventually(() => app.stats.openStreams === 4, 5000, 'four streams');
    subject.next({ data: '1' });
    await eventually(() => streams.every((s) => s.events.length === 1), 5000, 'first event everywhere');
    // The client cancels one stream (RST_STREAM): only that stream is torn down.
    streams[1].stream.close(constants.NGHTTP2_CANCEL);
    await eventually(() => teardown.length === 1, 5000, 'the cancelled stream torn down');
    assert.deepEqual(teardown, ['b']);
    assert.equal(app.stats.openStreams, 3);
    subject.next({ data: '2' });
    await eventually(() => [0, 2, 3].every((i) => streams[i].events.length === 2), 5000, 'second event on the others');
    assert.deepEqual(streams[0].events, ['a:1', 'a:2']);
    assert.deepEqual(streams[1].events, ['b:1']);
    assert.equal(session.closed || session.destroyed, false, 'the session is still up');
  } finally {
    session.destroy();
    await app.close();
  }
  assert.deepEqual(teardown.sort(), ['a', 'b', 'c', 'd']);
});

test('a stream whose client does not read is held to maxBufferedBytes by flow control, then closed as slow', async () => {
  const subject = new Subject<{ data: string }>();
  const responses: Http2ServerResponse[] = [];
  const reasons: string[] = [];
  @Controller()
  class Push {
    @Sse('push')
    push(ctx: RequestContext) {
      responses.push(ctx.res as unknown as Http2ServerResponse);
      ctx.signal.addEventListener('abort', () => reasons.push((ctx.signal.reason as { code: string }).code));
      return subject;
    }
  }
  const maxBufferedBytes = 256 * 1024;
  const app = createApp({ controllers: [Push], maxBufferedBytes, http2: { cleartext: true } });
  await app.listen(0, '127.0.0.1');
  // Node's default windows (64 KiB): the non-reading stream's window closes early.
  const session = connect(app.url);
  session.on('error', () => undefined);
  try {
    const slow = open(session, '/push', { read: false });
    await slow.head;
    await eventually(() => app.stats.openStreams === 1, 5000, 'the stream');
    slow.stream.pause();
    const payload = 'x'.repeat(4096);
    let peak = 0;
    let published = 0;
    while (reasons.length === 0 && published < 4096) {
      for (let i = 0; i < 16; i++, published++) subject.next({ data: payload });
      await new Promise((r) => setImmediate(r));
      if (!responses[0].stream.destroyed) peak = Math.max(peak, responses[0].stream.writableLength);
    }
    assert.deepEqual(reasons, ['EVENTIDE_SLOW_CLIENT']);
    assert.equal(app.stats.slowClientsClosed, 1);
    assert.ok(peak > 0 && peak <= maxBufferedBytes, `the server held at most ${peak} bytes for it`);
    // Closed well before everything was published: flow control, not the kernel, held it back.
    assert.ok(published * payload.length < 2 * 1024 * 1024, `closed after ${published} events`);
    await slow.closed;
    assert.equal(slow.stream.rstCode, constants.NGHTTP2_CANCEL, 'the client learns the stream was cut');
    assert.equal(session.destroyed, false, 'only the stream was cut, not the session');
  } finally {
    session.destroy();
    await app.close();
  }
});

test('a generator is not pulled while its HTTP/2 client does not read, and resumes when it does', async () => {
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
  const app = createApp({ controllers: [Pull], http2: { cleartext: true } });
  await app.listen(0, '127.0.0.1');
  const session = connect(app.url);
  session.on('error', () => undefined);
  try {
    const slow = open(session, '/pull', { read: false });
    await slow.head;
    slow.stream.pause();
    let last = -1;
    await eventually(() => {
      const stalled = produced === last && produced > 0;
      last = produced;
      return stalled;
    }, 20_000, 'the generator to stall');
    const stalledAt = produced;
    assert.ok(stalledAt < 1000, `stalled after ${stalledAt} events of 4 KiB`);
    slow.stream.on('data', () => undefined);
    slow.stream.resume();
    await eventually(() => produced > stalledAt + 100, 20_000, 'the generator to resume');
  } finally {
    session.destroy();
    await app.close();
  }
});

test('app.close() sends GOAWAY, ends open streams cleanly, and resolves', async () => {
  @Controller()
  class Quiet {
    @Sse('quiet')
    quiet() {
      return NEVER;
    }
  }
  const app = createApp({ controllers: [Quiet], http2: { key, cert } });
  await app.listen(0, '127.0.0.1');
  const session = connect(app.url, { ca: cert });
  session.on('error', () => undefined);
  let goaway = false;
  session.once('goaway', () => (goaway = true));
  const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  const streams = [open(session, '/quiet'), open(session, '/quiet')];
  await Promise.all(streams.map((s) => s.head));
  await eventually(() => app.stats.openStreams === 2, 5000, 'two streams');
  await app.close();
  await Promise.all(streams.map((s) => s.closed));
  assert.ok(streams.every((s) => s.ended), 'each stream ended with END_STREAM, not a reset');
  await sessionClosed;
  assert.equal(goaway, true, 'the client was told by GOAWAY');
  assert.equal(app.stats.openStreams, 0);
  assert.equal(app.server.listening, false);
});

test('over TLS, HTTP/1.1 clients are served beside HTTP/2 ones (allowHTTP1), unless turned off', async () => {
  @Controller()
  class Hello {
    @Sse('hello')
    hello() {
      return new Observable((sub) => sub.next({ data: 'hi' }));
    }
  }
  for (const allowHTTP1 of [true, false]) {
    const app = createApp({ controllers: [Hello], http2: { key, cert, allowHTTP1 } });
    const { port } = await app.listen(0, '127.0.0.1');
    try {
      const result = await new Promise<{ version: string; headers: Record<string, unknown>; body: string } | Error>((resolve) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/hello', ca: cert, ALPNProtocols: ['http/1.1'] } as RequestOptions, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
            if (body.includes('\n\n')) {
              resolve({ version: res.httpVersion, headers: res.headers, body });
              req.destroy();
            }
          });
        });
        req.on('error', (err) => resolve(err));
        req.end();
      });
      if (allowHTTP1) {
        assert.ok(!(result instanceof Error), String(result));
        assert.equal(result.version, '1.1');
        assert.equal(result.headers['connection'], 'keep-alive');
        assert.equal(result.body, 'data: hi\n\n');
      } else {
        assert.ok(result instanceof Error, 'an HTTP/1.1-only client is refused when allowHTTP1 is false');
      }
    } finally {
      await app.close();
    }
  }
});

test('the http2 option is checked at start-up with a message that says what to pass', () => {
  @Controller()
  class C {}
  const cases: [unknown, RegExp][] = [
    [{}, /needs `key` and `cert`/],
    [{ key }, /needs `key` and `cert`/],
    [{ cleartext: true, key, cert }, /drop `key` and `cert`/],
    [{ cleartext: 'yes' }, /cleartext/],
    ['h2', /expected \{ key, cert \}/],
  ];
  for (const [http2, message] of cases) {
    assert.throws(
      () => createApp({ controllers: [C], http2: http2 as never }),
      (err: unknown) => isEventideError(err, 'EVENTIDE_INVALID_OPTION') && message.test((err as Error).message),
      `http2: ${JSON.stringify(http2)}`,
    );
  }
});
