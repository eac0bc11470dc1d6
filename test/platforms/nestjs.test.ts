// eventide/nestjs: Nest controllers streaming through eventide with @EventideSse, on the express
// and the fastify adapter, with Nest's guards, pipes, interceptors and exception filters, its CORS
// (app.enableCors(), the failure of nestjs/nest#8717 avoided), the Hub through DI, resume with
// Last-Event-ID, Nest's own @Sse beside it, and app.close() with streams open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import 'reflect-metadata';
import {
  Catch,
  Controller,
  ForbiddenException,
  Headers,
  HttpException,
  Inject,
  Injectable,
  Param,
  ParseIntPipe,
  Sse,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { concat, interval, map, NEVER, Observable, of, Subject, tap, throwError } from 'rxjs';
import { Hub, httpError, type MessageEvent } from '../../src/index.js';
import { EventideSse, EventideStreams, type EventideModuleOptions } from '../../src/platforms/nestjs/index.js';
import { eventually, openStream } from '../support/sse-client.js';
import { decorate, startNest, type NestAdapterName, type NestSetup } from './targets/nest.js';

const live = new Subject<MessageEvent>();

class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (req.headers.authorization !== 'Bearer ok') throw new ForbiddenException('no token');
    return true;
  }
}
decorate(TokenGuard, undefined, [Injectable()]);

class AsyncDenyGuard implements CanActivate {
  async canActivate(): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    return false;
  }
}
decorate(AsyncDenyGuard, undefined, [Injectable()]);

class TraceInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<{ header?: (n: string, v: string) => unknown; setHeader?: (n: string, v: string) => unknown; raw?: unknown }>();
    // Express: setHeader on the response; Fastify: header() on the reply.
    if (res.raw) res.header!('X-Trace', 'abc');
    else res.setHeader!('X-Trace', 'abc');
    return next.handle().pipe(tap(() => undefined));
  }
}
decorate(TraceInterceptor, undefined, [Injectable()]);

class TeapotFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<{ status?: (c: number) => { json(b: unknown): void }; code?: (c: number) => { send(b: unknown): void } }>();
    const body = { teapot: true, status: exception.getStatus() };
    if (res.code) res.code(418).send(body);
    else res.status!(418).json(body);
  }
}
decorate(TeapotFilter, undefined, [Catch(HttpException)]);

class NewsController {
  constructor(readonly hub: Hub) {}

  seed(): Observable<MessageEvent> {
    return interval(50).pipe(map(() => ({ data: { hello: 'world' } })));
  }

  events(): Observable<MessageEvent> {
    return concat(of({ data: { hello: 'world' } }, { data: 'a\nb', id: '7', type: 'update' }), live.asObservable());
  }

  room(room: string, lastEventId: string | undefined) {
    return this.hub.subscribe(room, { lastEventId });
  }

  async asyncRoom(room: string) {
    await new Promise((resolve) => setImmediate(resolve));
    return this.hub.subscribe(room);
  }

  guarded() {
    return live.asObservable();
  }

  denied() {
    return live.asObservable();
  }

  numbered(n: number) {
    return of({ data: { n, type: typeof n } });
  }

  teapot() {
    throw new HttpException('nope', 409);
  }

  refused() {
    throw httpError(451, 'not here');
  }

  failsAtOnce() {
    return throwError(() => new Error('secret detail'));
  }

  traced() {
    return concat(of({ data: 'traced' }), NEVER);
  }

  notAStream() {
    return 42;
  }

  async rejects() {
    await new Promise((resolve) => setImmediate(resolve));
    throw new ForbiddenException('not after all');
  }

  fastPath(room: string) {
    const subscription = this.hub.subscribe(room);
    // Were it unwrapped into an Observable of events (Nest's own plumbing), it would be subscribed.
    const subscribe = subscription.subscribe;
    subscription.subscribe = function (this: typeof subscription, ...args: Parameters<typeof subscribe>) {
      subscribedAsObservable++;
      return subscribe.apply(this, args);
    } as typeof subscribe;
    return subscription;
  }
}
let subscribedAsObservable = 0;
decorate(NewsController, undefined, [Controller('news'), Inject(Hub) as never]);
// Param decorators first, as TypeScript applies them.
Param('room')(NewsController.prototype, 'room', 0);
Headers('last-event-id')(NewsController.prototype, 'room', 1);
Param('room')(NewsController.prototype, 'asyncRoom', 0);
Param('n', ParseIntPipe)(NewsController.prototype, 'numbered', 0);
decorate(NewsController.prototype, 'seed', [Sse('seed')]);
decorate(NewsController.prototype, 'events', [EventideSse('events')]);
decorate(NewsController.prototype, 'room', [EventideSse('rooms/:room')]);
decorate(NewsController.prototype, 'asyncRoom', [EventideSse('async-rooms/:room')]);
decorate(NewsController.prototype, 'guarded', [EventideSse('guarded'), UseGuards(TokenGuard)]);
decorate(NewsController.prototype, 'denied', [UseGuards(AsyncDenyGuard), EventideSse('denied')]);
decorate(NewsController.prototype, 'numbered', [EventideSse('numbered/:n')]);
decorate(NewsController.prototype, 'teapot', [EventideSse('teapot'), UseFilters(TeapotFilter)]);
decorate(NewsController.prototype, 'refused', [EventideSse('refused')]);
decorate(NewsController.prototype, 'failsAtOnce', [EventideSse('fails-at-once')]);
decorate(NewsController.prototype, 'traced', [EventideSse('traced'), UseInterceptors(TraceInterceptor)]);
decorate(NewsController.prototype, 'notAStream', [EventideSse('not-a-stream')]);
decorate(NewsController.prototype, 'rejects', [EventideSse('rejects')]);
Param('room')(NewsController.prototype, 'fastPath', 0);
decorate(NewsController.prototype, 'fastPath', [EventideSse('fast/:room')]);
// The constructor's parameter: injected by token (no emitDecoratorMetadata under tsx).
Inject(Hub)(NewsController, undefined, 0);

const start = (adapter: NestAdapterName, module: EventideModuleOptions = {}, configure?: NestSetup['configure']) =>
  startNest(adapter, { heartbeatMs: 0, onError: () => undefined }, { controllers: [NewsController], module, configure });

for (const adapter of ['express', 'fastify'] as const) {
  const name = `nestjs/${adapter}`;

  test(`${name}: @EventideSse streams the exact bytes and headers of eventide`, async () => {
    const running = await start(adapter);
    try {
      const stream = await openStream(`${running.url}/news/events`);
      await stream.waitForEvents(2);
      assert.equal(stream.response.status, 200);
      assert.equal(stream.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(stream.response.headers.get('cache-control'), 'no-cache, no-transform');
      assert.equal(stream.text(), 'data: {"hello":"world"}\n\nid: 7\nevent: update\ndata: a\ndata: b\n\n');
      assert.equal(running.stats.openStreams, 1);
      live.next({ data: 'later' });
      await stream.waitForEvents(3);
      await stream.close();
      await eventually(() => running.stats.openStreams === 0, 5000, 'the stream closed');
    } finally {
      await running.close();
    }
  });

  test(`${name}: Nest's own @Sse (the seed example) keeps working beside the module`, async () => {
    const running = await start(adapter);
    try {
      const stream = await openStream(`${running.url}/news/seed`);
      await stream.waitForEvents(1);
      assert.deepEqual(JSON.parse(stream.events[0].data), { hello: 'world' });
      await stream.close();
    } finally {
      await running.close();
    }
  });

  test(`${name}: the Hub comes through DI; resume after Last-Event-ID; async handlers`, async () => {
    const running = await start(adapter);
    try {
      const hub = running.app.get(Hub);
      assert.ok(hub instanceof Hub);
      assert.equal(running.app.get(EventideStreams).hub, hub);
      const first = await hub.publish('lobby', { data: 'one' });
      await hub.publish('lobby', { data: 'two' });
      const stream = await openStream(`${running.url}/news/rooms/lobby`, { headers: { 'last-event-id': first } });
      await stream.waitForEvents(1);
      assert.equal(stream.events[0].data, 'two');
      const asyncStream = await openStream(`${running.url}/news/async-rooms/lobby`);
      await eventually(() => hub.subscriptionCount === 2, 5000, 'two subscriptions');
      await hub.publish('lobby', { data: 'three' });
      await stream.waitForEvents(2);
      await asyncStream.waitForEvents(1);
      assert.equal(stream.events[1].data, 'three');
      assert.equal(asyncStream.events[0].data, 'three');
      assert.equal(asyncStream.events[0].id, stream.events[1].id);
      await stream.close();
      await asyncStream.close();
      await eventually(() => hub.subscriptionCount === 0, 5000, 'subscriptions released');
    } finally {
      await running.close();
    }
  });

  test(`${name}: a hub subscription reaches the connection whole: the hub's frame fast path`, async () => {
    const running = await start(adapter);
    try {
      const hub = running.app.get(Hub);
      const stream = await openStream(`${running.url}/news/fast/plaza`);
      await eventually(() => running.stats.openStreams === 1, 5000, 'the stream open');
      await hub.publish('plaza', { data: 'fast' });
      await stream.waitForEvents(1);
      assert.equal(stream.events[0].data, 'fast');
      assert.match(stream.text(), /id: .+\ndata: fast\n\n$/);
      assert.equal(subscribedAsObservable, 0);
      await stream.close();
    } finally {
      await running.close();
    }
  });

  test(`${name}: guards refuse with their status before any stream byte (sync and async)`, async () => {
    const running = await start(adapter);
    try {
      const refused = await running.request('/news/guarded');
      assert.equal(refused.status, 403);
      assert.equal((await refused.json()).message, 'no token');
      const denied = await running.request('/news/denied');
      assert.equal(denied.status, 403);
      await denied.text();
      assert.equal(running.stats.totalStreams, 0);
      const stream = await openStream(`${running.url}/news/guarded`, { headers: { authorization: 'Bearer ok' } });
      assert.equal(stream.response.status, 200);
      await stream.close();
    } finally {
      await running.close();
    }
  });

  test(`${name}: pipes transform parameters and refuse bad ones with 400`, async () => {
    const running = await start(adapter);
    try {
      const ok = await openStream(`${running.url}/news/numbered/12`);
      await ok.waitForEvents(1);
      assert.deepEqual(JSON.parse(ok.events[0].data), { n: 12, type: 'number' });
      await ok.close();
      const bad = await running.request('/news/numbered/twelve');
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).message, /numeric string is expected/);
    } finally {
      await running.close();
    }
  });

  test(`${name}: errors before the stream opens go to Nest's exception filters`, async () => {
    const running = await start(adapter);
    try {
      const teapot = await running.request('/news/teapot');
      assert.equal(teapot.status, 418);
      assert.deepEqual(await teapot.json(), { teapot: true, status: 409 });
      const refused = await running.request('/news/refused');
      assert.equal(refused.status, 451);
      assert.deepEqual(await refused.json(), { statusCode: 451, error: 'Unavailable For Legal Reasons', code: 'EVENTIDE_HTTP', message: 'not here' });
      // A source failing in its first turn: nothing was written, Nest answers 500 without the detail.
      const failed = await running.request('/news/fails-at-once');
      assert.equal(failed.status, 500);
      const body = await failed.text();
      assert.doesNotMatch(body, /secret detail/);
      assert.equal(failed.headers.get('content-type'), 'application/json; charset=utf-8');
      const rejected = await running.request('/news/rejects');
      assert.equal(rejected.status, 403);
      assert.equal((await rejected.json()).message, 'not after all');
      const notStream = await running.request('/news/not-a-stream');
      assert.equal(notStream.status, 500);
      await notStream.text();
      assert.equal(running.stats.openStreams, 0);
    } finally {
      await running.close();
    }
  });

  test(`${name}: interceptors run before the stream opens and their headers reach it`, async () => {
    const running = await start(adapter);
    try {
      const stream = await openStream(`${running.url}/news/traced`);
      await stream.waitForEvents(1);
      assert.equal(stream.response.headers.get('x-trace'), 'abc');
      assert.equal(stream.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      await stream.close();
    } finally {
      await running.close();
    }
  });

  test(`${name}: app.enableCors() answers preflights and heads @EventideSse streams (nestjs/nest#8717)`, async () => {
    const running = await start(adapter, {}, (app) => app.enableCors({ origin: 'http://app.example', credentials: true }));
    try {
      const preflight = await running.request('/news/events', {
        method: 'OPTIONS',
        headers: { origin: 'http://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://app.example');
      const stream = await openStream(`${running.url}/news/events`, { headers: { origin: 'http://app.example' } });
      await stream.waitForEvents(1);
      assert.equal(stream.response.headers.get('access-control-allow-origin'), 'http://app.example');
      assert.equal(stream.response.headers.get('access-control-allow-credentials'), 'true');
      await stream.close();
    } finally {
      await running.close();
    }
  });

  test(`${name}: the module's maxStreams answers 503 with Retry-After through Nest`, async () => {
    const running = await start(adapter, { maxStreams: 1 });
    try {
      const first = await openStream(`${running.url}/news/events`);
      await first.waitForEvents(1);
      const second = await running.request('/news/events');
      assert.equal(second.status, 503);
      assert.equal(second.headers.get('retry-after'), '5');
      assert.equal((await second.json()).code, 'EVENTIDE_TOO_MANY_STREAMS');
      await first.close();
    } finally {
      await running.close();
    }
  });

  test(`${name}: app.close() ends open streams cleanly and closes the Hub the module made`, async () => {
    const running = await start(adapter);
    const hub = running.app.get(Hub);
    const streams = await Promise.all([openStream(`${running.url}/news/events`), openStream(`${running.url}/news/rooms/lobby`)]);
    await eventually(() => running.stats.openStreams === 2, 5000, 'two open streams');
    await running.close();
    await Promise.all(streams.map((s) => s.finished));
    assert.ok(streams.every((s) => s.ended));
    assert.equal(running.stats.openStreams, 0);
    await assert.rejects(hub.publish('lobby', { data: 'late' }), /closed/);
  });

  test(`${name}: a Hub passed to forRoot is provided and left open`, async () => {
    const hub = new Hub();
    const running = await start(adapter, { hub });
    try {
      assert.equal(running.app.get(Hub), hub);
    } finally {
      await running.close();
    }
    await hub.publish('still', { data: 'open' });
    await hub.close();
  });
}
