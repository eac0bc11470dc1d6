// Every kind of handler return value, on real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { of, Observable } from 'rxjs';
import { Controller, Sse, createApp, type App } from '../../src/index.js';
import { openStream } from '../support/sse-client.js';

const finalized = { generator: 0, stream: 0 };

@Controller('src')
class SourcesController {
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

  @Sse('not-a-source')
  notASource() {
    return { data: 'an event is not a source' };
  }

  @Sse('array')
  array() {
    return [1, 2, 3];
  }

  @Sse('custom-observable')
  customObservable() {
    // Any Observable implementation with subscribe() works, not only rxjs.
    return {
      subscribe(observer: { next(v: unknown): void; complete(): void }) {
        observer.next({ data: 'custom' });
        observer.complete();
        return { unsubscribe() {} };
      },
    };
  }
}

async function withApp(fn: (app: App, errors: unknown[]) => Promise<void>) {
  const errors: unknown[] = [];
  const app = createApp({ controllers: [SourcesController], onError: (e) => errors.push(e) });
  await app.listen(0, '127.0.0.1');
  try {
    await fn(app, errors);
  } finally {
    await app.close();
  }
}

async function readAll(url: string) {
  const s = await openStream(url);
  await s.finished;
  return s;
}

test('Observable, Promise of Observable, custom Observable', async () => {
  await withApp(async (app) => {
    assert.deepEqual((await readAll(`${app.url}/src/observable`)).events.map((e) => e.data), ['a', 'b']);
    assert.deepEqual((await readAll(`${app.url}/src/promise`)).events.map((e) => e.data), ['from a promise']);
    assert.deepEqual((await readAll(`${app.url}/src/custom-observable`)).events.map((e) => e.data), ['custom']);
  });
});

test('async generator: values and events, finally runs when it completes', async () => {
  await withApp(async (app) => {
    const before = finalized.generator;
    const s = await readAll(`${app.url}/src/generator`);
    assert.deepEqual(
      s.events.map((e) => [e.data, e.lastEventId]),
      [
        ['g1', '1'],
        ['g2', '1'],
        ['{"n":3}', '1'],
      ],
    );
    assert.equal(finalized.generator, before + 1);
    assert.deepEqual((await readAll(`${app.url}/src/promise-of-generator`)).events.map((e) => e.data), ['pg']);
  });
});

test('ReadableStream: objects and bytes', async () => {
  await withApp(async (app) => {
    const s = await readAll(`${app.url}/src/stream`);
    assert.deepEqual(s.events.map((e) => e.data), ['s1', 'bytes as text']);
  });
});

test('anything else is a 500 with a clear error for the application, not leaked to the client', async () => {
  await withApp(async (app, errors) => {
    for (const path of ['not-a-source', 'array']) {
      const res = await fetch(`${app.url}/src/${path}`);
      assert.equal(res.status, 500);
      const body = await res.json();
      assert.equal(body.message, 'Internal Server Error');
      assert.doesNotMatch(JSON.stringify(body), /must return/);
    }
    assert.equal(errors.length, 2);
    for (const err of errors) {
      assert.equal((err as { code?: string }).code, 'EVENTIDE_INVALID_SOURCE');
      assert.match((err as Error).message, /must return an Observable, an AsyncIterable/);
    }
  });
});

test('an Observable that never completes keeps the connection open until the client leaves', async () => {
  let unsubscribed = 0;
  @Controller()
  class Forever {
    @Sse('forever')
    forever() {
      return new Observable<{ data: string }>((sub) => {
        sub.next({ data: 'hi' });
        return () => unsubscribed++;
      });
    }
  }
  const app = createApp({ controllers: [Forever] });
  await app.listen(0, '127.0.0.1');
  try {
    const s = await openStream(`${app.url}/forever`);
    await s.waitForEvents(1);
    assert.equal(s.ended, false);
    assert.equal(app.stats.openStreams, 1);
    await s.close();
    await new Promise<void>((resolve) => {
      const check = () => (unsubscribed === 1 ? resolve() : setTimeout(check, 5));
      check();
    });
    assert.equal(app.stats.openStreams, 0);
  } finally {
    await app.close();
  }
});
