// Handler return values on real sockets, beyond the source kinds the platform behaviour suite
// (test/platforms/suite.ts, run on node:http by test/platforms/node-http.test.ts) already covers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Observable } from 'rxjs';
import { Controller, Sse, createApp, type App } from '../../src/index.js';
import { openStream } from '../support/sse-client.js';

@Controller('src')
class SourcesController {
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

test('a custom Observable: any object with subscribe() is a source, not only rxjs', async () => {
  await withApp(async (app) => {
    assert.deepEqual((await readAll(`${app.url}/src/custom-observable`)).events.map((e) => e.data), ['custom']);
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
