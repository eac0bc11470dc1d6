// eventide/express on Express 4 and 5: the shared checks, then what is Express's own: next() for
// what eventide does not serve, body parsers, auth middleware, `cors`, `compression`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestHandler } from 'express';
import cors from 'cors';
import compression from 'compression';
import { Subject } from 'rxjs';
import { Controller, Sse, Post, Get, type RequestContext } from '../../src/index.js';
import { openStream } from '../support/sse-client.js';
import { runFrameworkChecks } from './targets/checks.js';
import { expressTarget, expressVersions, startExpress } from './targets/express.js';

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
    return { body: ctx.body };
  }
}

for (const name of ['express 4', 'express 5'] as const) {
  runFrameworkChecks(expressTarget(name));
  const factory = expressVersions[name];

  test(`${name}: unknown paths and methods no route takes go to next(); Express routes sit beside eventide`, async () => {
    const running = await startExpress(factory, { controllers: [EventsController] }, {
      after: (app) => {
        app.get('/other', (_req, res) => void res.send('from express'));
        app.post('/shared', (_req, res) => void res.send('express POST'));
      },
    });
    try {
      assert.equal(await (await running.request('/other')).text(), 'from express');
      assert.equal(await (await running.request('/shared')).text(), 'from eventide');
      assert.equal(await (await running.request('/shared', { method: 'POST' })).text(), 'express POST');
      const missing = await running.request('/nowhere');
      assert.equal(missing.status, 404);
      assert.match(await missing.text(), /Cannot GET \/nowhere/); // Express's own 404, not eventide's
      const head = await running.request('/events', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    } finally {
      await running.close();
    }
  });

  test(`${name}: a body express.json() parsed is the handler's; one it skipped eventide reads`, async () => {
    const running = await startExpress(factory, { controllers: [EventsController] }, { before: [factory.json() as RequestHandler] });
    try {
      const json = await running.request('/body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      assert.deepEqual(await json.json(), { body: { a: 1 } });
      const text = await running.request('/body', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'plain' });
      assert.deepEqual(await text.json(), { body: 'plain' });
    } finally {
      await running.close();
    }
  });

  test(`${name}: auth middleware answers 401 before any stream byte`, async () => {
    const auth: RequestHandler = (req, res, next) => {
      if (req.headers.authorization === 'Bearer ok') return next();
      res.status(401).json({ error: 'who are you' });
    };
    const running = await startExpress(factory, { controllers: [EventsController] }, { before: [auth] });
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

  test(`${name}: the cors package answers preflights and heads eventide's streams`, async () => {
    const running = await startExpress(factory, { controllers: [EventsController] }, {
      before: [cors({ origin: 'http://app.example', credentials: true, exposedHeaders: ['X-Trace'] }) as RequestHandler],
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

  test(`${name}: compression neither buffers nor stalls a stream (each event within 100 ms)`, async () => {
    const running = await startExpress(factory, { controllers: [EventsController] }, { before: [compression({ threshold: 0 }) as RequestHandler] });
    try {
      const stream = await openStream(`${running.url}/events`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      // Ordinary responses are still compressed: the middleware is live.
      const plain = await running.request('/shared', { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(plain.headers.get('content-encoding'), 'gzip');
      for (let i = 0; i < 5; i++) {
        const published = performance.now();
        live.next({ data: `tick ${i}` });
        await stream.waitForEvents(i + 1, 2000);
        const latency = performance.now() - published;
        assert.ok(latency < 100, `event ${i} arrived after ${latency.toFixed(1)} ms`);
      }
      assert.equal(stream.events.at(-1)!.data, 'tick 4');
      await stream.close();
    } finally {
      await running.close();
    }
  });
}
