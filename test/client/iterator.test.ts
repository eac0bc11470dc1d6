// events() against real node:http servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { events } from '../../src/client/node.js';
import { isEventideError } from '../../src/errors.js';
import { startServer, sseHead, until } from './helpers.js';

test('for await, then break: the connection closes', async () => {
  let closed = false;
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    res.on('close', () => (closed = true));
  });
  try {
    const iterator = events(srv.url);
    assert.equal(srv.requests.length, 0, 'connects on the first next()');
    const seen: unknown[] = [];
    for await (const event of iterator) {
      seen.push(event.data);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ['1', '2']);
    await until(() => closed, 'the server to see the client go');
  } finally {
    await srv.close();
  }
});

test("typed events: 'auto' parses object payloads, keeps text, and type narrows data", async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('event: headline\ndata: {"title":"Hello"}\n\ndata: plain [text]\n\nevent: list\ndata: [1,2]\n\ndata: [not json\n\n');
  });
  try {
    type News = { headline: { title: string }; list: number[]; message: string };
    const seen: unknown[] = [];
    for await (const event of events<News>(srv.url)) {
      if (event.type === 'headline') seen.push(event.data.title satisfies string);
      else if (event.type === 'list') seen.push(event.data.reduce((a, b) => a + b, 0));
      else if (event.type === 'message') seen.push(event.data.toUpperCase());
      if (seen.length === 4) break;
    }
    assert.deepEqual(seen, ['Hello', 'PLAIN [TEXT]', 3, '[NOT JSON']);
  } finally {
    await srv.close();
  }
});

test("parse: 'json' parses every event and throws EVENTIDE_CLIENT_BAD_RESPONSE on text", async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: 42\n\ndata: true\n\ndata: oops\n\n');
  });
  try {
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of events<{ message: number | boolean }>(srv.url, { parse: 'json' })) seen.push(event.data);
      })(),
      (error: unknown) => isEventideError(error, 'EVENTIDE_CLIENT_BAD_RESPONSE') && /not JSON/.test((error as Error).message),
    );
    assert.deepEqual(seen, [42, true]);
  } finally {
    await srv.close();
  }
});

test("parse: a function gets data and type; 'text' leaves JSON alone", async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('event: n\ndata: 7\n\ndata: {"a":1}\n\n');
  });
  try {
    const custom: unknown[] = [];
    for await (const event of events(srv.url, { parse: (data, type) => `${type}=${data}` })) {
      custom.push(event.data);
      if (custom.length === 2) break;
    }
    assert.deepEqual(custom, ['n=7', 'message={"a":1}']);
    const text: unknown[] = [];
    for await (const event of events(srv.url, { parse: 'text' })) {
      text.push(event.data);
      if (text.length === 2) break;
    }
    assert.deepEqual(text, ['7', '{"a":1}']);
  } finally {
    await srv.close();
  }
});

test('204 ends the loop; a later 500 throws after the events before it were delivered', async () => {
  const srv = await startServer((req, res, index) => {
    const path = req.url ?? '';
    if (index > 0 && path === '/stop') return void res.writeHead(204).end();
    if (index > 0) return void res.writeHead(500).end();
    sseHead(res);
    res.end('retry: 1\nid: 1\ndata: a\n\n');
  });
  try {
    const stopped: string[] = [];
    for await (const event of events(`${srv.url}/stop`)) stopped.push(`${event.data}/${event.lastEventId}`);
    assert.deepEqual(stopped, ['a/1']);

    srv.requests.length = 0;
    const failed: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of events(`${srv.url}/fail`)) failed.push(event.data);
      })(),
      (error: unknown) => isEventideError(error, 'EVENTIDE_CLIENT_BAD_RESPONSE'),
    );
    assert.deepEqual(failed, ['a']);
  } finally {
    await srv.close();
  }
});

test('a consumer that falls behind past maxBuffered gets EVENTIDE_SLOW_CLIENT', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write(Array.from({ length: 50 }, (_, i) => `data: ${i}\n\n`).join(''));
  });
  try {
    const iterator = events(srv.url, { maxBuffered: 10 });
    const first = await iterator.next();
    assert.equal(first.value?.data, '0');
    await until(() => srv.requests.length === 1, 'the request');
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 100)); // let the burst outrun the loop
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          seen.push(next.value.data);
        }
      })(),
      (error: unknown) => isEventideError(error, 'EVENTIDE_SLOW_CLIENT'),
    );
    assert.ok(seen.length <= 10, `buffered ${seen.length} events at most 10`);
  } finally {
    await srv.close();
  }
});

test('several next() calls without awaiting are served in order', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: x\n\ndata: y\n\n');
  });
  try {
    const iterator = events(srv.url);
    const [a, b] = await Promise.all([iterator.next(), iterator.next()]);
    assert.deepEqual([a.value?.data, b.value?.data], ['x', 'y']);
    await iterator.return?.();
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  } finally {
    await srv.close();
  }
});

test('a bad URL rejects the first next() instead of throwing', async () => {
  const iterator = events('not a url');
  await assert.rejects(iterator.next(), (error: unknown) => error instanceof DOMException && error.name === 'SyntaxError');
});

test('an event past maxEventSize ends the loop with EVENTIDE_CLIENT_EVENT_TOO_LARGE after the events before it', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write(`data: small\n\ndata: ${'x'.repeat(3000)}\n\ndata: after\n\n`);
  });
  try {
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of events(srv.url, { maxEventSize: 1000 })) seen.push(event.data);
      })(),
      (error: unknown) => isEventideError(error, 'EVENTIDE_CLIENT_EVENT_TOO_LARGE') && /maxEventSize/.test((error as Error).message),
    );
    assert.deepEqual(seen, ['small']);
  } finally {
    await srv.close();
  }
});
