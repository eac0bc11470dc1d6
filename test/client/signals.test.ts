// eventide's own signals through eventide's client, against a real eventide server (createApp):
// `eventide-error` ends events() and fromEventSource() with the server's code and message and no
// reconnect, a bare EventSource sees it as a named event; the hub's gap signal is a typed event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Observable, lastValueFrom, toArray } from 'rxjs';
import { Controller, Get, Sse, createApp, httpError, type RequestContext } from '../../src/index.js';
import { Hub } from '../../src/hub/index.js';
import { EventSource, events, fromEventSource, isGap, type EventOf } from '../../src/client/node.js';
import { EventideError, isEventideError } from '../../src/errors.js';
import { nextEvent, sseHead, startServer, until } from './helpers.js';

/** An app whose streams send one event, then fail after the stream opened. */
async function failingApp() {
  const calls = { http: 0, crash: 0 };
  @Controller()
  class FailingController {
    @Sse('http')
    http() {
      calls.http += 1;
      return new Observable((subscriber) => {
        subscriber.next({ data: 'before' });
        setTimeout(() => subscriber.error(httpError(409, 'the room was closed')), 5);
      });
    }

    @Sse('crash')
    crash() {
      calls.crash += 1;
      return new Observable((subscriber) => {
        subscriber.next({ data: { n: 1 } });
        setTimeout(() => subscriber.error(new Error('secret internals')), 5);
      });
    }

    @Get('ping')
    ping() {
      return 'pong';
    }
  }
  const app = createApp({ controllers: [FailingController], onError: () => {} });
  await app.listen(0, '127.0.0.1');
  // A reconnect would be due at once (delay 0); one more round trip gives it time to arrive.
  const settle = async () => {
    await (await fetch(`${app.url}/ping`)).text();
    await new Promise((resolve) => setTimeout(resolve, 50));
  };
  return { app, calls, settle };
}

test("events(): eventide-error with an httpError ends the loop with the server's code and message, no reconnect", async () => {
  const { app, calls, settle } = await failingApp();
  try {
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of events(`${app.url}/http`, { reconnect: { delay: 0 } })) seen.push(event.data);
      })(),
      (error: unknown) => isEventideError(error, 'EVENTIDE_HTTP') && (error as Error).message === 'the room was closed',
    );
    assert.deepEqual(seen, ['before'], 'the events before the failure are delivered first');
    await settle();
    assert.equal(calls.http, 1, 'the failing handler ran once');
  } finally {
    await app.close();
  }
});

test('events(): a handler crash after open ends the loop with EVENTIDE_STREAM_FAILED, without the internal message', async () => {
  const { app, calls, settle } = await failingApp();
  try {
    const seen: unknown[] = [];
    const error = await (async () => {
      try {
        for await (const event of events(`${app.url}/crash`, { reconnect: { delay: 0 }, parse: 'text' })) seen.push(event.data);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(isEventideError(error, 'EVENTIDE_STREAM_FAILED'), String(error));
    assert.equal((error as Error).message, 'The stream failed on the server');
    assert.doesNotMatch((error as Error).message, /secret/);
    assert.deepEqual(seen, ['{"n":1}']);
    await settle();
    assert.equal(calls.crash, 1);
  } finally {
    await app.close();
  }
});

test("fromEventSource(): eventide-error errors the Observable with the server's code, no reconnect", async () => {
  const { app, calls, settle } = await failingApp();
  try {
    const seen: string[] = [];
    await assert.rejects(
      lastValueFrom(fromEventSource(`${app.url}/http`, { reconnect: { delay: 0 } }).pipe(toArray())),
      (error: unknown) => isEventideError(error, 'EVENTIDE_HTTP') && (error as Error).message === 'the room was closed',
    );
    const values = await new Promise<string[]>((resolve) => {
      fromEventSource(`${app.url}/http`, { reconnect: { delay: 0 } }).subscribe({
        next: (event) => seen.push(`${event.type}:${event.data}`),
        error: () => resolve(seen),
      });
    });
    assert.deepEqual(values, ['message:before'], 'the event before, and the error event is not emitted as a value');
    await settle();
    assert.equal(calls.http, 2, 'one request per subscription, none more');
  } finally {
    await app.close();
  }
});

test('EventSource: eventide-error is an ordinary named event, and the source reconnects as a browser does', async () => {
  const { app, calls } = await failingApp();
  const es = new EventSource(`${app.url}/http`, { reconnect: { delay: 0 } });
  try {
    const named = await nextEvent<MessageEvent<string>>(es, 'eventide-error');
    assert.deepEqual(JSON.parse(named.data), { code: 'EVENTIDE_HTTP', message: 'the room was closed' });
    await until(() => calls.http >= 2, 'the browser-style reconnect');
  } finally {
    es.close();
    await app.close();
  }
});

test('events(): the gap signal is a typed event (channels, lastEventId), then live events follow', async () => {
  const hub = new Hub({ history: { maxEvents: 2 } });
  @Controller()
  class NewsController {
    @Sse('news')
    news(ctx: RequestContext) {
      return hub.subscribe('news', { lastEventId: ctx.lastEventId });
    }
  }
  const app = createApp({ controllers: [NewsController], onError: () => {} });
  await app.listen(0, '127.0.0.1');
  try {
    const first = await hub.publish('news', { data: { n: 1 }, type: 'headline' });
    for (let n = 2; n <= 5; n++) await hub.publish('news', { data: { n }, type: 'headline' });
    type News = { headline: { n: number } };
    const iterator = events<News>(`${app.url}/news`, { headers: { 'last-event-id': first }, parse: 'text' });
    const seen: string[] = [];
    const take = async (): Promise<EventOf<News>> => {
      const next = await iterator.next();
      assert.equal(next.done, false);
      return next.value as EventOf<News>;
    };
    const gap = await take();
    assert.ok(isGap(gap), `the first event is the gap signal, got ${gap.type}`);
    if (gap.type === 'eventide-gap') {
      // Narrowed by type: data is GapData whatever `parse` says.
      const channels: readonly string[] = gap.data.channels;
      assert.deepEqual(channels, ['news']);
      assert.equal(gap.data.lastEventId, first);
      assert.notEqual(gap.lastEventId, '', 'the stream position after the signal');
    }
    await hub.publish('news', { data: { n: 6 }, type: 'headline' });
    const live = await take();
    if (live.type === 'headline') seen.push(String(live.data));
    assert.deepEqual(seen, ['{"n":6}'], 'live events after the gap (the retained ones are not replayed)');
    await iterator.return?.();
  } finally {
    await app.close();
    await hub.close();
  }
});

test('eventide-error in the same chunk as events: the events before are delivered, nothing after; any code is passed on', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: a\n\nevent: eventide-error\ndata: {"code":"MYAPP_GONE","message":"gone for good"}\n\ndata: after\n\n');
  });
  try {
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of events(srv.url, { reconnect: { delay: 0 } })) seen.push(event.data);
      })(),
      (error: unknown) => error instanceof EventideError && error.code === ('MYAPP_GONE' as string) && error.message === 'gone for good',
    );
    assert.deepEqual(seen, ['a']);
    assert.equal(srv.requests.length, 1);
  } finally {
    await srv.close();
  }
});

test('eventide-error whose data is not { code, message } ends with EVENTIDE_STREAM_FAILED quoting it (bounded)', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write(`event: eventide-error\ndata: not json ${'x'.repeat(10_000)}\n\n`);
  });
  try {
    const error = await lastValueFrom(fromEventSource(srv.url)).catch((caught: unknown) => caught);
    assert.ok(isEventideError(error, 'EVENTIDE_STREAM_FAILED'), String(error));
    assert.match((error as Error).message, /eventide-error: not json x+/);
    assert.ok((error as Error).message.length < 400, 'the quoted data is cut short');
  } finally {
    await srv.close();
  }
});

test('a URL that is not http(s) fails at once (EVENTIDE_CLIENT_NETWORK), without retrying', async () => {
  const es = new EventSource('ftp://example.invalid/stream', { reconnect: { delay: 0 } });
  const states: number[] = [];
  es.onerror = () => states.push(es.readyState);
  await until(() => es.readyState === EventSource.CLOSED, 'the source to fail');
  assert.deepEqual(states, [EventSource.CLOSED], 'one error event, readyState CLOSED');
  await assert.rejects(
    (async () => {
      for await (const _ of events('mailto:someone@example.invalid')) assert.fail('no event');
    })(),
    (error: unknown) => isEventideError(error, 'EVENTIDE_CLIENT_NETWORK') && /scheme mailto:/.test((error as Error).message),
  );
});
