// The behaviour suite: one set of test bodies, run unchanged against every platform (node:http,
// node:http2, Express, Fastify, NestJS, ...). A platform test file provides a PlatformTarget and
// calls runBehaviourSuite(target). Everything goes through `target.start()` and `running.request()`,
// so the same assertions hold whatever HTTP stack carries the stream.
//
// A target passes every option it is given to eventide's route core: besides those TargetAppOptions
// names, the suite uses `guards` (app guards) and `cors` (the core's CORS policy; its preflights are
// OPTIONS requests with Origin and Access-Control-Request-Method to a known path). Each test starts
// its own app and closes it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, NEVER, Observable, of, Subject, throwError, timer, map, takeUntil } from 'rxjs';
import {
  Controller,
  Get,
  GAP_EVENT_TYPE,
  Hub,
  Post,
  Sse,
  STREAM_ERROR_EVENT,
  UseGuards,
  httpError,
  type Guard,
  type RequestContext,
} from '../../src/index.js';
import { createParser } from '../../src/protocol/parse.js';
import type { ParsedEvent } from '../../src/protocol/types.js';
import type { PlatformTarget, RunningTarget, TargetAppOptions } from './target.js';

/** Polls `predicate` on each turn of the event loop (with a 5 ms pause) until it holds or time runs out. */
async function eventually(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Reads a fetch-like Response as an event stream: raw text, parsed events and comments. */
export function readSse(response: Response) {
  const events: ParsedEvent[] = [];
  const comments: string[] = [];
  const chunks: Uint8Array[] = [];
  let ended = false;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const list = waiters;
    waiters = [];
    for (const w of list) w();
  };
  const parser = createParser({
    onEvent: (e) => {
      events.push(e);
      wake();
    },
    onComment: (c) => {
      comments.push(c);
      wake();
    },
  });
  const reader = response.body?.getReader();
  const finished = (async () => {
    if (!reader) return;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        parser.feed(value);
      }
    } catch {
      // cancelled by the test, or cut by the server
    } finally {
      parser.end();
      ended = true;
      wake();
    }
  })();
  const got = () => {
    const shown = JSON.stringify(events.slice(-3)).slice(0, 300);
    return `${events.length} events (last: ${shown}), ${comments.length} comments`;
  };
  const until = (predicate: () => boolean, what: string, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${got()}`)), timeoutMs);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else if (ended) {
          clearTimeout(timer);
          reject(new Error(`stream ended before ${what}; got ${got()}`));
        } else waiters.push(check);
      };
      check();
    });
  return {
    events,
    comments,
    get ended() {
      return ended;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    finished,
    waitForEvents: (n: number, timeoutMs?: number) => until(() => events.length >= n, `${n} events`, timeoutMs),
    until,
    async cancel() {
      await reader?.cancel().catch(() => undefined);
      await finished;
    },
  };
}

/** Starts a target, runs `fn`, and always closes the target. */
async function withTarget(target: PlatformTarget, options: TargetAppOptions, fn: (running: RunningTarget) => Promise<void>): Promise<void> {
  const running = await target.start(options);
  try {
    await fn(running);
  } finally {
    await running.close();
  }
}

/** Reads a whole response as an event stream and waits for its end. */
async function readAll(running: RunningTarget, path: string, init?: Parameters<RunningTarget['request']>[1]) {
  const response = await running.request(path, init);
  const stream = readSse(response);
  await stream.finished;
  return { response, stream };
}

const STREAM_TYPE = 'text/event-stream; charset=utf-8';

export function runBehaviourSuite(target: PlatformTarget): void {
  describe(`behaviour suite on ${target.name}`, () => {
    it('exact bytes and headers; the handler status and headers win', async () => {
      @Controller()
      class Wire {
        @Sse('events')
        events() {
          return of(
            { data: { hello: 'world' } },
            { data: 'line1\nline2\r\nline3\rline4', id: '7', type: 'update', retry: 2500 },
            { data: '' },
            { data: 0, id: '', type: '' },
            'plain text',
            42,
            { notAnEvent: true },
          );
        }

        @Sse('custom')
        custom(ctx: RequestContext) {
          ctx.status(201).setHeader('Cache-Control', 'no-store').setHeader('X-Extra', 'yes');
          return of({ data: 'x' });
        }
      }
      await withTarget(target, { controllers: [Wire], onError: () => undefined }, async (running) => {
        const { response, stream } = await readAll(running, '/events');
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), STREAM_TYPE);
        assert.equal(response.headers.get('cache-control'), 'no-cache, no-transform');
        assert.equal(response.headers.get('x-accel-buffering'), 'no');
        assert.equal(response.headers.get('content-length'), null);
        assert.equal(
          stream.text(),
          'data: {"hello":"world"}\n\n' +
            'id: 7\nevent: update\nretry: 2500\ndata: line1\ndata: line2\ndata: line3\ndata: line4\n\n' +
            'data: \n\n' +
            'id: \nevent: \ndata: 0\n\n' +
            'data: plain text\n\n' +
            'data: 42\n\n' +
            'data: {"notAnEvent":true}\n\n',
        );
        const custom = await readAll(running, '/custom');
        assert.equal(custom.response.status, 201);
        assert.equal(custom.response.headers.get('cache-control'), 'no-store');
        assert.equal(custom.response.headers.get('x-extra'), 'yes');
        assert.equal(custom.response.headers.get('content-type'), STREAM_TYPE);
        assert.equal(custom.stream.text(), 'data: x\n\n');
      });
    });

    it('headers are committed before any event, so a quiet stream is open', async () => {
      @Controller()
      class Quiet {
        @Sse('quiet')
        quiet() {
          return NEVER;
        }
      }
      await withTarget(target, { controllers: [Quiet] }, async (running) => {
        const response = await running.request('/quiet');
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), STREAM_TYPE);
        await eventually(() => running.stats.openStreams === 1, 5000, 'the stream to be open');
        const stream = readSse(response);
        await stream.cancel();
        await eventually(() => running.stats.openStreams === 0, 5000, 'the stream to close');
      });
    });

    it('every source kind: Observable, Promise, async generator, ReadableStream', async () => {
      const finalized = { generator: 0, stream: 0 };
      @Controller('src')
      class Sources {
        @Sse('observable')
        observable() {
          return of({ data: 'a' }, { data: 'b' });
        }

        @Sse('promise')
        async promise() {
          await new Promise((r) => setImmediate(r));
          return of({ data: 'from a promise' });
        }

        @Sse('generator')
        async *generator() {
          try {
            yield { data: 'g1', id: '1' };
            yield 'g2';
            yield { data: { n: 3 } };
          } finally {
            finalized.generator++;
          }
        }

        @Sse('stream')
        stream() {
          let n = 0;
          return new ReadableStream({
            pull(controller) {
              n++;
              if (n === 1) controller.enqueue({ data: 's1' });
              else if (n === 2) controller.enqueue(new TextEncoder().encode('bytes as text'));
              else controller.close();
            },
            cancel() {
              finalized.stream++;
            },
          });
        }

        @Sse('promise-of-generator')
        promiseOfGenerator() {
          return Promise.resolve(
            (async function* () {
              yield 'pg';
            })(),
          );
        }
      }
      await withTarget(target, { controllers: [Sources] }, async (running) => {
        const data = async (path: string) => (await readAll(running, path)).stream.events.map((e) => e.data);
        assert.deepEqual(await data('/src/observable'), ['a', 'b']);
        assert.deepEqual(await data('/src/promise'), ['from a promise']);
        const generator = (await readAll(running, '/src/generator')).stream.events;
        assert.deepEqual(
          generator.map((e) => [e.data, e.lastEventId]),
          [
            ['g1', '1'],
            ['g2', '1'],
            ['{"n":3}', '1'],
          ],
        );
        assert.equal(finalized.generator, 1);
        assert.deepEqual(await data('/src/stream'), ['s1', 'bytes as text']);
        assert.deepEqual(await data('/src/promise-of-generator'), ['pg']);
        await eventually(() => running.stats.openStreams === 0, 5000, 'streams closed');
        assert.equal(running.stats.totalStreams, 5);
      });
    });

    it('errors before the stream opens are JSON error responses; after it opens, an eventide-error event', async () => {
      @Controller()
      class Failing {
        @Sse('throws')
        throws(): never {
          throw new Error('secret internal detail');
        }

        @Sse('forbidden')
        async forbidden() {
          await new Promise((r) => setImmediate(r));
          throw httpError(403, 'you may not watch this stream');
        }

        @Sse('errors-first')
        errorsFirst() {
          return throwError(() => new Error('secret emitted detail'));
        }

        @Sse('errors-later')
        errorsLater() {
          return concat(of({ data: 'one' }), timer(5).pipe(map(() => { throw new Error('secret late detail'); })));
        }

        @Sse('burst-then-fail')
        burstThenFail() {
          // A burst and the error in one turn, after the stream opened: every event, then the error event.
          return new Observable((sub) => {
            const timer = setTimeout(() => {
              for (let i = 0; i < 5; i++) sub.next({ data: `e${i}` });
              sub.error(httpError(409, 'the room closed'));
            }, 10);
            return () => clearTimeout(timer);
          });
        }

        @Sse('fail-first-turn')
        failFirstTurn() {
          // Events and an error in the handler's own turn, before the head: an HTTP error, no events.
          return new Observable((sub) => {
            sub.next({ data: 'a' });
            sub.error(new Error('secret first-turn detail'));
          });
        }
      }
      const errors: unknown[] = [];
      await withTarget(target, { controllers: [Failing], onError: (e) => errors.push(e) }, async (running) => {
        const internal = await running.request('/throws');
        assert.equal(internal.status, 500);
        assert.match(internal.headers.get('content-type') ?? '', /^application\/json/);
        const body = await internal.json();
        assert.equal(body.statusCode, 500);
        assert.equal(body.message, 'Internal Server Error');
        assert.doesNotMatch(JSON.stringify(body), /secret/);

        const forbidden = await running.request('/forbidden');
        assert.equal(forbidden.status, 403);
        assert.deepEqual(await forbidden.json(), {
          statusCode: 403,
          error: 'Forbidden',
          code: 'EVENTIDE_HTTP',
          message: 'you may not watch this stream',
        });

        const first = await running.request('/errors-first');
        assert.equal(first.status, 500);
        assert.match(first.headers.get('content-type') ?? '', /^application\/json/);
        assert.doesNotMatch(await first.text(), /secret/);

        const later = await readAll(running, '/errors-later');
        assert.equal(later.response.status, 200);
        assert.deepEqual(
          later.stream.events.map((e) => [e.type, e.data]),
          [
            ['message', 'one'],
            [STREAM_ERROR_EVENT, JSON.stringify({ code: 'EVENTIDE_STREAM_FAILED', message: 'The stream failed on the server' })],
          ],
        );

        const burst = await readAll(running, '/burst-then-fail');
        assert.equal(burst.response.status, 200);
        assert.deepEqual(
          burst.stream.events.map((e) => [e.type, e.data]),
          [
            ...['e0', 'e1', 'e2', 'e3', 'e4'].map((d) => ['message', d]),
            [STREAM_ERROR_EVENT, JSON.stringify({ code: 'EVENTIDE_HTTP', message: 'the room closed' })],
          ],
        );
        const firstTurn = await running.request('/fail-first-turn');
        assert.equal(firstTurn.status, 500);
        assert.doesNotMatch(await firstTurn.text(), /secret|data:/);
        // Internal failures were reported to the application (exposed httpErrors before open are not).
        const messages = errors.map((e) => (e as Error).message);
        for (const secret of ['secret internal detail', 'secret emitted detail', 'secret late detail', 'secret first-turn detail']) {
          assert.ok(messages.includes(secret), `${secret} reported; got ${JSON.stringify(messages)}`);
        }
        await eventually(() => running.stats.openStreams === 0, 5000, 'streams closed');
      });
    });

    it('teardown runs exactly once per stream over 300 disconnects of each source kind', async () => {
      const CONNECTIONS = 300;
      const counts = { subscribed: 0, unsubscribed: 0, generatorFinally: 0, streamCancel: 0, aborted: 0 };
      @Controller()
      class Teardown {
        @Sse('observable')
        observable(ctx: RequestContext) {
          ctx.signal.addEventListener('abort', () => counts.aborted++);
          return new Observable((sub) => {
            counts.subscribed++;
            sub.next({ data: 'first' });
            return () => counts.unsubscribed++;
          });
        }

        @Sse('generator')
        async *generator(ctx: RequestContext) {
          ctx.signal.addEventListener('abort', () => counts.aborted++);
          try {
            yield { data: 'first' };
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            yield { data: 'never sent' };
          } finally {
            counts.generatorFinally++;
          }
        }

        @Sse('stream')
        stream(ctx: RequestContext) {
          ctx.signal.addEventListener('abort', () => counts.aborted++);
          let sent = false;
          return new ReadableStream({
            pull(controller) {
              if (!sent) {
                sent = true;
                controller.enqueue({ data: 'first' });
              }
              return new Promise(() => undefined);
            },
            cancel() {
              counts.streamCancel++;
            },
          });
        }
      }
      await withTarget(target, { controllers: [Teardown] }, async (running) => {
        for (const path of ['observable', 'generator', 'stream']) {
          const clients = await Promise.all(
            Array.from({ length: CONNECTIONS }, async () => {
              const controller = new AbortController();
              const response = await running.request(`/${path}`, { signal: controller.signal });
              const stream = readSse(response);
              await stream.waitForEvents(1, 20_000);
              return { controller, stream };
            }),
          );
          assert.equal(running.stats.openStreams, CONNECTIONS);
          for (const client of clients) client.controller.abort();
          await Promise.all(clients.map((c) => c.stream.finished));
          await eventually(() => running.stats.openStreams === 0, 20_000, `all ${path} streams closed`);
        }
        await eventually(() => counts.generatorFinally === CONNECTIONS && counts.streamCancel === CONNECTIONS, 15_000, 'teardown');
        assert.equal(counts.subscribed, CONNECTIONS);
        assert.equal(counts.unsubscribed, CONNECTIONS);
        assert.equal(counts.generatorFinally, CONNECTIONS);
        assert.equal(counts.streamCancel, CONNECTIONS);
        assert.equal(counts.aborted, 3 * CONNECTIONS);
        assert.equal(running.stats.totalStreams, 3 * CONNECTIONS);
      });
    });

    it('a client that never reads is bounded and closed as slow; a reading client gets everything', async () => {
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
      const maxBufferedBytes = 256 * 1024;
      await withTarget(target, { controllers: [Push], maxBufferedBytes }, async (running) => {
        // Never reads its body: the transport's flow control stops it, the server's queue fills.
        const slow = await running.request('/push');
        assert.equal(slow.status, 200);
        const reader = readSse(await running.request('/push'));
        await eventually(() => running.stats.openStreams === 2, 5000, 'two streams');
        const payload = 'x'.repeat(4096);
        const count = (8 * 1024 * 1024) / payload.length; // 8 MiB, far past every buffer on the way
        for (let i = 0; i < count; i++) {
          subject.next({ data: payload });
          // Publish in batches of 128 KiB, each once the reading client has the last: it keeps up,
          // the other never reads a byte.
          if (i % 32 === 31) await reader.waitForEvents(i + 1, 20_000);
        }
        await reader.waitForEvents(count, 60_000);
        assert.equal(reader.events.length, count);
        assert.equal(running.stats.slowClientsClosed, 1, 'the slow client was closed by the policy');
        assert.deepEqual(reasons, ['EVENTIDE_SLOW_CLIENT']);
        await slow.body?.cancel().catch(() => undefined);
        await reader.cancel();
        await eventually(() => running.stats.openStreams === 0, 5000, 'streams closed');
      });
    });

    it('a signal first asked for after its stream ended is aborted, with an error of its own saying why', async () => {
      const kept: RequestContext[] = [];
      const release = new Subject<void>();
      @Controller()
      class Ends {
        @Sse('completes')
        completes(ctx: RequestContext) {
          kept.push(ctx);
          return of({ data: 'only' });
        }
        @Sse('held')
        held(ctx: RequestContext) {
          kept.push(ctx);
          return NEVER.pipe(takeUntil(release));
        }
      }
      await withTarget(target, { controllers: [Ends] }, async (running) => {
        const completed = readSse(await running.request('/completes'));
        await completed.waitForEvents(1, 5000);
        const gone = await running.request('/held');
        assert.equal(gone.status, 200);
        await eventually(() => running.stats.openStreams >= 1 && kept.length === 2, 5000, 'both handlers ran');
        await gone.body?.cancel().catch(() => undefined);
        await eventually(() => running.stats.openStreams === 0, 5000, 'both streams ended');
        // Neither handler looked at ctx.signal while its stream was open.
        const reasons = kept.map((ctx) => {
          assert.equal(ctx.signal.aborted, true);
          return ctx.signal.reason as Error & { code?: string };
        });
        for (const reason of reasons) {
          assert.ok(reason instanceof Error, 'the reason is an error');
          assert.equal(reason.code, 'EVENTIDE_CLOSED');
        }
        assert.match(reasons[0]!.message!, /complete/);
        assert.notEqual(reasons[0], reasons[1], 'each signal has its own error');
        assert.equal(kept[0]!.signal.reason, reasons[0], 'the reason is made once');
        release.next();
      });
    });

    it('heartbeats keep a quiet stream alive as comment lines', async () => {
      @Controller()
      class Quiet {
        @Sse('quiet')
        quiet() {
          return NEVER;
        }
      }
      await withTarget(target, { controllers: [Quiet], heartbeatMs: 20 }, async (running) => {
        const stream = readSse(await running.request('/quiet'));
        await stream.until(() => stream.comments.length >= 3, 'three heartbeats');
        assert.equal(stream.events.length, 0);
        assert.match(stream.text(), /^(:\n)+$/);
        await stream.cancel();
      });
    });

    it('hub resume after Last-Event-ID, and the gap signal when history was dropped', async () => {
      const hub = new Hub({ history: { maxEvents: 3 } });
      @Controller()
      class Rooms {
        @Sse('rooms/:room')
        room(ctx: RequestContext) {
          return hub.subscribe(ctx.params.room, { lastEventId: ctx.lastEventId });
        }
      }
      try {
        await withTarget(target, { controllers: [Rooms] }, async (running) => {
          const ids = [];
          for (const data of ['a', 'b', 'c']) ids.push(await hub.publish('lobby', { data, type: 'chat' }));
          const resumed = readSse(await running.request('/rooms/lobby', { headers: { 'Last-Event-ID': ids[0] } }));
          await resumed.waitForEvents(2);
          assert.deepEqual(
            resumed.events.map((e) => [e.type, e.data, e.lastEventId]),
            [
              ['chat', 'b', ids[1]],
              ['chat', 'c', ids[2]],
            ],
          );
          // Live events follow the replay on the same stream.
          const live = await hub.publish('lobby', { data: 'd' });
          await resumed.waitForEvents(3);
          assert.deepEqual([resumed.events[2].data, resumed.events[2].lastEventId], ['d', live]);
          await resumed.cancel();

          // The query parameter works for clients that cannot send headers.
          const byQuery = readSse(await running.request(`/rooms/lobby?lastEventId=${encodeURIComponent(ids[2])}`));
          await byQuery.waitForEvents(1);
          assert.deepEqual([byQuery.events[0].data, byQuery.events[0].lastEventId], ['d', live]);
          await byQuery.cancel();

          // History keeps 3 events: after e, f, g, a client at `a` missed b..d. It gets the gap signal,
          // which moves it to the present (the signal's id is g's), then live events.
          const kept = [];
          for (const data of ['e', 'f', 'g']) kept.push(await hub.publish('lobby', { data }));
          const gapped = readSse(await running.request('/rooms/lobby', { headers: { 'Last-Event-ID': ids[0] } }));
          await gapped.waitForEvents(1);
          assert.equal(gapped.events[0].type, GAP_EVENT_TYPE);
          assert.deepEqual(JSON.parse(gapped.events[0].data), { channels: ['lobby'], lastEventId: ids[0] });
          assert.equal(gapped.events[0].lastEventId, kept[2]);
          const after = await hub.publish('lobby', { data: 'h' });
          await gapped.waitForEvents(2);
          assert.deepEqual([gapped.events[1].data, gapped.events[1].lastEventId], ['h', after]);
          await gapped.cancel();
          await eventually(() => running.stats.openStreams === 0, 5000, 'streams closed');
        });
      } finally {
        await hub.close();
      }
    });

    it('guards answer 401/403 before any stream byte, hold no slot, and apply to ordinary routes', async () => {
      const calls: string[] = [];
      let started = 0;
      const signedIn: Guard = (ctx) => {
        calls.push('app');
        if (ctx.headers.authorization !== 'Bearer good') throw httpError(401, 'sign in first');
      };
      const notBanned: Guard = async (ctx) => {
        calls.push('controller');
        await new Promise((r) => setImmediate(r));
        return ctx.headers['x-role'] !== 'banned';
      };
      const adminOnly: Guard = (ctx) => {
        calls.push('route');
        return ctx.headers['x-role'] === 'admin';
      };
      const broken: Guard = () => {
        throw new Error('guard bug');
      };
      @Controller('guarded')
      @UseGuards(notBanned)
      class Guarded {
        @Sse('stream')
        stream() {
          started++;
          return NEVER;
        }

        @UseGuards(adminOnly)
        @Sse('admin')
        admin() {
          started++;
          return of({ data: 'secret' });
        }

        @Get('info')
        info() {
          return { ok: true };
        }

        @UseGuards(broken)
        @Post('broken')
        brokenRoute() {
          return 'unreachable';
        }
      }
      const errors: unknown[] = [];
      await withTarget(target, { controllers: [Guarded], guards: [signedIn], maxStreams: 1, onError: (e) => errors.push(e) }, async (running) => {
        const json = (res: Response) => {
          assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
          return res.json();
        };
        const anonymous = await running.request('/guarded/stream');
        assert.equal(anonymous.status, 401);
        assert.deepEqual(await json(anonymous), { statusCode: 401, error: 'Unauthorized', code: 'EVENTIDE_HTTP', message: 'sign in first' });
        assert.deepEqual(calls, ['app']);

        const banned = await running.request('/guarded/stream', { headers: { authorization: 'Bearer good', 'x-role': 'banned' } });
        assert.equal(banned.status, 403);
        assert.equal((await json(banned)).statusCode, 403);

        calls.length = 0;
        const notAdmin = await running.request('/guarded/admin', { headers: { authorization: 'Bearer good' } });
        assert.equal(notAdmin.status, 403);
        await notAdmin.text();
        assert.deepEqual(calls, ['app', 'controller', 'route'], 'app, then controller, then route guards');

        // Ordinary routes are guarded too.
        assert.equal((await running.request('/guarded/info')).status, 401);
        const info = await running.request('/guarded/info', { headers: { authorization: 'Bearer good' } });
        assert.equal(info.status, 200);
        assert.deepEqual(await info.json(), { ok: true });

        // A throwing guard is a 500, reported; its message does not reach the client.
        const failing = await running.request('/guarded/broken', { method: 'POST', headers: { authorization: 'Bearer good' }, body: 'x' });
        assert.equal(failing.status, 500);
        assert.doesNotMatch(await failing.text(), /guard bug/);
        assert.ok(errors.some((e) => (e as Error).message === 'guard bug'), 'the guard failure was reported');

        assert.equal(started, 0, 'no refused handler ran');
        assert.equal(running.stats.totalStreams, 0, 'no refused stream opened');
        assert.equal(running.stats.rejectedStreams, 0, 'refusals are not admission refusals');

        // maxStreams is 1: the refusals held no slot, so an admitted client gets the one stream.
        const admitted = await running.request('/guarded/admin', { headers: { authorization: 'Bearer good', 'x-role': 'admin' } });
        assert.equal(admitted.status, 200);
        await readSse(admitted).finished;
        assert.equal(started, 1);
        const held = await running.request('/guarded/stream', { headers: { authorization: 'Bearer good' } });
        assert.equal(held.status, 200);
        const heldStream = readSse(held);
        await eventually(() => running.stats.openStreams === 1, 5000, 'the stream');
        // The one slot is taken: a refused client still gets its 401, not a 503.
        assert.equal((await running.request('/guarded/stream')).status, 401);
        const full = await running.request('/guarded/stream', { headers: { authorization: 'Bearer good' } });
        assert.equal(full.status, 503);
        await full.text();
        await heldStream.cancel();
        await eventually(() => running.stats.openStreams === 0, 5000, 'stream closed');
      });
    });

    it('CORS: preflights answered, Access-Control-* headers on streams, errors and ordinary responses', async () => {
      @Controller()
      class Cors {
        @Sse('events')
        events(ctx: RequestContext) {
          ctx.setHeader('X-Stream-Id', 's1');
          return of({ data: 'hi' });
        }

        @Get('plain')
        plain() {
          return 'plain';
        }
      }
      const mustSignIn: Guard = (ctx) => {
        if (ctx.query.token !== 'ok') throw httpError(401, 'sign in first');
      };
      const allowed = 'https://app.example';
      await withTarget(
        target,
        {
          controllers: [Cors],
          guards: [mustSignIn],
          cors: { origin: [allowed], credentials: true, exposedHeaders: ['X-Stream-Id'], maxAge: 600 },
        },
        async (running) => {
          const preflight = await running.request('/events?token=ok', {
            method: 'OPTIONS',
            headers: { origin: allowed, 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id, authorization' },
          });
          assert.equal(preflight.status, 204, 'preflights carry no credentials: guards do not run');
          assert.equal(preflight.headers.get('access-control-allow-origin'), allowed);
          assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
          assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET, HEAD');
          assert.equal(preflight.headers.get('access-control-allow-headers'), 'last-event-id, authorization');
          assert.equal(preflight.headers.get('access-control-max-age'), '600');
          assert.match(preflight.headers.get('vary') ?? '', /Origin/);
          assert.equal(await preflight.text(), '');

          const stream = await readAll(running, '/events?token=ok', { headers: { origin: allowed, 'last-event-id': '5' } });
          assert.equal(stream.response.status, 200);
          assert.equal(stream.response.headers.get('content-type'), STREAM_TYPE);
          assert.equal(stream.response.headers.get('access-control-allow-origin'), allowed);
          assert.equal(stream.response.headers.get('access-control-allow-credentials'), 'true');
          assert.equal(stream.response.headers.get('access-control-expose-headers'), 'X-Stream-Id');
          assert.equal(stream.response.headers.get('x-stream-id'), 's1');
          assert.equal(stream.response.headers.get('vary'), 'Origin');
          assert.equal(stream.stream.text(), 'data: hi\n\n');

          // A refusal is readable by the page (it carries the CORS headers), with its JSON body.
          const refused = await running.request('/events', { headers: { origin: allowed } });
          assert.equal(refused.status, 401);
          assert.equal(refused.headers.get('access-control-allow-origin'), allowed);
          assert.equal((await refused.json()).message, 'sign in first');

          const plain = await running.request('/plain?token=ok', { headers: { origin: allowed } });
          assert.equal(plain.headers.get('access-control-allow-origin'), allowed);
          assert.equal(await plain.text(), 'plain');

          // Another origin is not refused: its answers lack Access-Control-Allow-Origin, so the browser withholds them.
          const other = await running.request('/events', {
            method: 'OPTIONS',
            headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
          });
          assert.equal(other.status, 204);
          assert.equal(other.headers.get('access-control-allow-origin'), null);
          assert.equal(other.headers.get('access-control-allow-methods'), null);
          await other.text();
          const otherStream = await readAll(running, '/events?token=ok', { headers: { origin: 'https://evil.example' } });
          assert.equal(otherStream.response.status, 200);
          assert.equal(otherStream.response.headers.get('access-control-allow-origin'), null);
          assert.equal(otherStream.response.headers.get('vary'), 'Origin');

          // Unknown paths are not preflighted.
          const unknown = await running.request('/nowhere', { method: 'OPTIONS', headers: { origin: allowed, 'access-control-request-method': 'GET' } });
          assert.equal(unknown.status, 404);
          await unknown.text();
        },
      );
    });

    it('HEAD on a stream route answers the head a GET would get, with no body and no source started', async () => {
      let subscribed = 0;
      @Controller()
      class Headed {
        @Sse('events')
        events() {
          return new Observable(() => {
            subscribed++;
          });
        }
      }
      await withTarget(target, { controllers: [Headed] }, async (running) => {
        const response = await running.request('/events', { method: 'HEAD' });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), STREAM_TYPE);
        assert.equal(response.headers.get('cache-control'), 'no-cache, no-transform');
        assert.equal(await response.text(), '');
        assert.equal(subscribed, 0);
        assert.equal(running.stats.totalStreams, 0);
      });
    });
  });
}
