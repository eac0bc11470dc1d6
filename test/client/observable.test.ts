// fromEventSource against real node:http servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { fromEventSource } from '../../src/client/node.js';
import { isEventideError } from '../../src/errors.js';
import { startServer, sseHead, until } from './helpers.js';

test('cold: one connection per subscription, closed on unsubscribe', async () => {
  let closed = 0;
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: a\n\nevent: named\ndata: b\n\n');
    res.on('close', () => closed++);
  });
  try {
    const stream = fromEventSource(srv.url);
    assert.equal(srv.requests.length, 0, 'nothing happens before subscribe');
    const [first, second] = await Promise.all([
      lastValueFrom(stream.pipe(take(2), toArray())),
      lastValueFrom(stream.pipe(take(2), toArray())),
    ]);
    assert.equal(srv.requests.length, 2);
    for (const events of [first, second]) {
      assert.deepEqual(events.map((e) => [e.type, e.data]), [['message', 'a'], ['named', 'b']]);
      assert.ok(events[0] instanceof MessageEvent);
    }
    await until(() => closed === 2, 'both connections to close after unsubscribe');
  } finally {
    await srv.close();
  }
});

test('completes when the server answers 204', async () => {
  const srv = await startServer((req, res, index) => {
    if (index > 0) return void res.writeHead(204).end();
    sseHead(res);
    res.end('retry: 1\ndata: a\n\n');
  });
  try {
    const events = await lastValueFrom(fromEventSource(srv.url).pipe(toArray()));
    assert.deepEqual(events.map((e) => e.data), ['a']);
  } finally {
    await srv.close();
  }
});

test('errors with EVENTIDE_CLIENT_BAD_RESPONSE on a 500', async () => {
  const srv = await startServer((req, res) => res.writeHead(500).end());
  try {
    await assert.rejects(firstValueFrom(fromEventSource(srv.url)), (error: unknown) => {
      assert.ok(isEventideError(error, 'EVENTIDE_CLIENT_BAD_RESPONSE'));
      assert.match((error as Error).message, /HTTP status 500/);
      return true;
    });
  } finally {
    await srv.close();
  }
});

test('an aborted signal completes the Observable', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: a\n\n');
  });
  const controller = new AbortController();
  try {
    const done = lastValueFrom(fromEventSource(srv.url, { signal: controller.signal }).pipe(toArray()));
    await until(() => srv.requests.length === 1, 'the request');
    controller.abort();
    const events = await done;
    assert.ok(events.length <= 1);
  } finally {
    await srv.close();
  }
});

test('an event past maxEventSize errors with EVENTIDE_CLIENT_EVENT_TOO_LARGE', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write(`data: ${'x'.repeat(3000)}\n\n`);
  });
  try {
    await assert.rejects(firstValueFrom(fromEventSource(srv.url, { maxEventSize: 1000 })), (error: unknown) =>
      isEventideError(error, 'EVENTIDE_CLIENT_EVENT_TOO_LARGE'),
    );
  } finally {
    await srv.close();
  }
});
