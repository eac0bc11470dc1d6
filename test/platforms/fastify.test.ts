// eventide/fastify on Fastify 5: the shared checks, then what is Fastify's own: its routes beside
// eventide's, onRequest hooks, @fastify/cors, @fastify/rate-limit, @fastify/compress, prefixes,
// bodies, and fastify.close() with streams open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import cors from '@fastify/cors';
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import { Subject } from 'rxjs';
import { Controller, Sse, Post, Get, type RequestContext } from '../../src/index.js';
import { openStream, eventually } from '../support/sse-client.js';
import { runFrameworkChecks } from './targets/checks.js';
import { fastifyTarget, startFastify } from './targets/fastify.js';

const live = new Subject<{ data: unknown }>();

@Controller()
class EventsController {
  @Sse('events')
  events() {
    return live.asObservable();
  }

  @Get('shared')
  shared() {
    return 'from eventide';
  }

  @Post('body')
  body(ctx: RequestContext) {
    return { body: Buffer.isBuffer(ctx.body) ? `bytes:${ctx.body.length}` : ctx.body };
  }
}

runFrameworkChecks(fastifyTarget);

test('fastify 5: Fastify routes sit beside eventide; its 404 answers the rest', async () => {
  const running = await startFastify({ controllers: [EventsController] }, {
    after: (app) => {
      app.get('/other', async () => 'from fastify');
      app.post('/shared', async () => 'fastify POST');
    },
  });
  try {
    assert.equal(await (await running.request('/other')).text(), 'from fastify');
    assert.equal(await (await running.request('/shared')).text(), 'from eventide');
    assert.equal(await (await running.request('/shared', { method: 'POST' })).text(), 'fastify POST');
    const missing = await running.request('/nowhere');
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /Route GET:\/nowhere not found/);
    const head = await running.request('/events', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  } finally {
    await running.close();
  }
});

test("fastify 5: Fastify's parsed bodies reach the handler; unparsed types arrive as bytes", async () => {
  const running = await startFastify({ controllers: [EventsController] });
  try {
    const json = await running.request('/body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual(await json.json(), { body: { a: 1 } });
    const text = await running.request('/body', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'plain' });
    assert.deepEqual(await text.json(), { body: 'plain' });
    const bytes = await running.request('/body', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'abcd' });
    assert.deepEqual(await bytes.json(), { body: 'bytes:4' });
    const bad = await running.request('/body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    assert.equal(bad.status, 400);
  } finally {
    await running.close();
  }
});

test('fastify 5: registered under a prefix, routes are relative to it', async () => {
  const running = await startFastify({ controllers: [EventsController] }, { prefix: '/api' });
  try {
    assert.equal(await (await running.request('/api/shared')).text(), 'from eventide');
    assert.equal((await running.request('/shared')).status, 404);
  } finally {
    await running.close();
  }
});

test('fastify 5: an onRequest hook answers 401 before any stream byte', async () => {
  const running = await startFastify({ controllers: [EventsController] }, {
    before: (app) => {
      app.addHook('onRequest', async (request, reply) => {
        if (request.headers.authorization !== 'Bearer ok') await reply.code(401).send({ error: 'who are you' });
      });
    },
  });
  try {
    const refused = await running.request('/events');
    assert.equal(refused.status, 401);
    assert.deepEqual(await refused.json(), { error: 'who are you' });
    assert.equal(running.stats.totalStreams, 0);
    const stream = await openStream(`${running.url}/events`, { headers: { authorization: 'Bearer ok' } });
    assert.equal(stream.response.status, 200);
    await stream.close();
  } finally {
    await running.close();
  }
});

test("fastify 5: @fastify/cors answers preflights and heads eventide's streams", async () => {
  const running = await startFastify({ controllers: [EventsController] }, {
    before: (app) => app.register(cors, { origin: 'http://app.example', credentials: true, exposedHeaders: ['X-Trace'] }),
  });
  try {
    const preflight = await running.request('/events', {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /last-event-id/i);
    const stream = await openStream(`${running.url}/events`, { headers: { origin: 'http://app.example', 'last-event-id': '3' } });
    assert.equal(stream.response.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.equal(stream.response.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(stream.response.headers.get('access-control-expose-headers'), 'X-Trace');
    assert.equal(stream.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    await stream.close();
  } finally {
    await running.close();
  }
});

test('fastify 5: @fastify/rate-limit answers 429 before a stream opens', async () => {
  const running = await startFastify({ controllers: [EventsController] }, {
    before: (app) => app.register(rateLimit, { max: 2, timeWindow: 60_000 }),
  });
  try {
    const first = await openStream(`${running.url}/events`);
    const second = await openStream(`${running.url}/events`);
    const third = await running.request('/events');
    assert.equal(third.status, 429);
    assert.equal(third.headers.get('content-type'), 'application/json; charset=utf-8');
    await third.text();
    assert.equal(running.stats.totalStreams, 2);
    await first.close();
    await second.close();
  } finally {
    await running.close();
  }
});

test('fastify 5: @fastify/compress neither buffers nor stalls a stream (each event within 100 ms)', async () => {
  const running = await startFastify({ controllers: [EventsController] }, {
    before: (app) => app.register(compress, { threshold: 0 }),
    after: (app) => {
      app.get('/big', async () => 'x'.repeat(4096));
    },
  });
  try {
    const stream = await openStream(`${running.url}/events`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    const plain = await running.request('/big', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(plain.headers.get('content-encoding'), 'gzip'); // the plugin is live
    for (let i = 0; i < 5; i++) {
      const published = performance.now();
      live.next({ data: `tick ${i}` });
      await stream.waitForEvents(i + 1, 2000);
      const latency = performance.now() - published;
      assert.ok(latency < 100, `event ${i} arrived after ${latency.toFixed(1)} ms`);
    }
    await stream.close();
  } finally {
    await running.close();
  }
});

test('fastify 5: fastify.close() ends streams cleanly and resolves', async () => {
  const running = await startFastify({ controllers: [EventsController] });
  const streams = await Promise.all([openStream(`${running.url}/events`), openStream(`${running.url}/events`)]);
  await eventually(() => running.stats.openStreams === 2, 5000, 'two open streams');
  await running.app.close();
  await Promise.all(streams.map((s) => s.finished));
  assert.ok(streams.every((s) => s.ended));
  assert.equal(running.stats.openStreams, 0);
});
