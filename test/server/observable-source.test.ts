// The Observable source is rxjs's subscriber itself (no wrapper per event), so it must keep the
// subscriber contract: `closed` once the stream stops, every teardown run exactly once, teardowns
// added after the stop run at once, a throwing teardown does not keep the others from running.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Observable, finalize, interval, map } from 'rxjs';
import { Controller, Sse, createApp } from '../../src/index.js';
import { toSource } from '../../src/sources/index.js';
import type { SourceSink, StreamSource } from '../../src/sources/types.js';
import { openStream, rawRequest, eventually } from '../support/sse-client.js';

/** A sink that records values and stops its source after `stopAfter` of them (a connection tearing down). */
function stoppingSink(stopAfter: number) {
  const values: unknown[] = [];
  let source: StreamSource | undefined;
  let completed = 0;
  const sink: SourceSink = {
    next(value) {
      values.push(value);
      if (values.length === stopAfter) source!.stop();
    },
    frame() {},
    error(err) {
      throw err;
    },
    complete() {
      completed++;
      source!.stop();
    },
    ready: () => undefined,
  };
  return {
    values,
    get completed() {
      return completed;
    },
    start(observable: unknown) {
      source = toSource(observable);
      source.start(sink);
      return source;
    },
  };
}

test('a synchronous source that loops while its subscriber is open ends when the stream stops', { timeout: 10_000 }, () => {
  const sink = stoppingSink(100);
  let teardowns = 0;
  sink.start(
    new Observable<number>((subscriber) => {
      let i = 0;
      while (!subscriber.closed) subscriber.next(i++);
      return () => teardowns++;
    }).pipe(map((n) => ({ data: n }))),
  );
  assert.equal(sink.values.length, 100);
  assert.equal(teardowns, 1, 'the teardown returned after the stop runs at once');
});

test('stopping runs every teardown of an operator chain exactly once', () => {
  const sink = stoppingSink(Infinity);
  let finalized = 0;
  let inner = 0;
  const source = sink.start(
    new Observable<number>(() => () => inner++).pipe(
      finalize(() => finalized++),
      map((n) => ({ data: n })),
    ),
  );
  assert.equal(finalized + inner, 0);
  source.stop();
  source.stop();
  assert.equal(finalized, 1);
  assert.equal(inner, 1);
});

test('a source that completes during subscribe is torn down once, and what it sends after is ignored', () => {
  const sink = stoppingSink(Infinity);
  let teardowns = 0;
  sink.start(
    new Observable<{ data: string }>((subscriber) => {
      subscriber.next({ data: 'a' });
      subscriber.complete();
      subscriber.next({ data: 'late' });
      return () => teardowns++;
    }),
  );
  assert.deepEqual(sink.values, [{ data: 'a' }]);
  assert.equal(sink.completed, 1);
  assert.equal(teardowns, 1);
});

test('a throwing teardown is reported after the other teardowns ran', () => {
  const sink = stoppingSink(Infinity);
  let other = 0;
  const source = sink.start(
    new Observable<number>(() => () => {
      throw new Error('teardown failed');
    }).pipe(finalize(() => other++)),
  );
  assert.throws(() => source.stop(), /teardown failed/);
  assert.equal(other, 1);
});

@Controller()
class Sources {
  @Sse('sync-forever')
  syncForever() {
    // Emits until its subscriber closes: the client never reads, so the stream is closed as slow.
    return new Observable<{ data: string }>((subscriber) => {
      const big = 'x'.repeat(1024);
      while (!subscriber.closed) subscriber.next({ data: big });
    });
  }

  @Sse('ticks')
  ticks() {
    return interval(5).pipe(map((n) => ({ data: n })));
  }
}

test('on real sockets: a synchronous endless source is cut as a slow client and the server goes on', { timeout: 20_000 }, async () => {
  const errors: unknown[] = [];
  const closes: string[] = [];
  const app = createApp({
    controllers: [Sources],
    onError: (e) => errors.push(e),
    onEvent: (event) => {
      if (event.type === 'stream.closed') closes.push(event.reason);
    },
    maxQueuedEvents: 500,
  });
  const { port } = await app.listen(0, '127.0.0.1');
  try {
    const raw = rawRequest(port, 'GET /sync-forever HTTP/1.1\r\nHost: x\r\n\r\n', { read: false });
    await eventually(() => closes.length === 1, 10_000, 'the endless stream closed');
    assert.deepEqual(closes, ['slow-client']);
    assert.deepEqual(errors, []);
    raw.socket.destroy();
    const s = await openStream(`${app.url}/ticks`);
    await s.waitForEvents(3);
    await s.close();
    await eventually(() => app.stats.openStreams === 0, 5_000, 'streams closed');
  } finally {
    await app.close();
  }
});
