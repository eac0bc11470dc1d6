// The README's Guards, CORS and HTTP/2 examples, as written there (port 0 instead of a fixed one),
// with the outcomes the README states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interval, map } from 'rxjs';
import { Controller, Get, Sse, UseGuards, createApp, httpError, type Guard, type RequestContext } from '../../src/index.js';
import { http2Fetch, selfSignedCertificate } from './http2-client.js';

async function firstEvent(response: Response): Promise<string> {
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  await reader.cancel();
  return text.slice(0, text.indexOf('\n\n') + 2);
}

test('README: Guards', async () => {
  const tokens = new Map([['t-alice', { name: 'alice', admin: true }], ['t-bob', { name: 'bob', admin: false }]]);
  const userOf = (ctx: RequestContext) => tokens.get(ctx.headers.authorization?.replace(/^Bearer /, '') ?? '');

  const signedIn: Guard = (ctx) => {
    if (!userOf(ctx)) {
      ctx.setHeader('WWW-Authenticate', 'Bearer');
      throw httpError(401, 'sign in first');
    }
  };
  const adminOnly: Guard = async (ctx) => userOf(ctx)?.admin === true; // false answers 403

  @Controller('feeds')
  class FeedsController {
    @Sse('public')
    public() {
      return interval(10).pipe(map((n) => ({ data: n })));
    }

    @UseGuards(adminOnly)
    @Sse('audit')
    audit() {
      return interval(10).pipe(map((n) => ({ data: { entry: n } })));
    }

    @Get('me')
    me(ctx: RequestContext) {
      return { name: userOf(ctx)!.name };
    }
  }

  const app = createApp({ controllers: [FeedsController], guards: [signedIn] });
  await app.listen(0, '127.0.0.1');
  try {
    const anonymous = await fetch(`${app.url}/feeds/public`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.equal(await anonymous.text(), '{"statusCode":401,"error":"Unauthorized","code":"EVENTIDE_HTTP","message":"sign in first"}');
    const bob = await fetch(`${app.url}/feeds/audit`, { headers: { authorization: 'Bearer t-bob' } });
    assert.equal(bob.status, 403);
    await bob.text();
    assert.equal(app.stats.totalStreams, 0);
    const alice = await fetch(`${app.url}/feeds/audit`, { headers: { authorization: 'Bearer t-alice' } });
    assert.equal(alice.status, 200);
    assert.equal(alice.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(await firstEvent(alice), 'data: {"entry":0}\n\n');
    const me = await fetch(`${app.url}/feeds/me`, { headers: { authorization: 'Bearer t-bob' } });
    assert.deepEqual(await me.json(), { name: 'bob' });
  } finally {
    await app.close();
  }
});

test('README: CORS', async () => {
  @Controller()
  class TicksController {
    @Sse('ticks')
    ticks(ctx: RequestContext) {
      ctx.setHeader('X-Stream-Id', 'ticks-1');
      return interval(10).pipe(map((n) => ({ data: n })));
    }
  }

  const app = createApp({
    controllers: [TicksController],
    cors: {
      origin: ['https://app.example', /^https:\/\/[a-z0-9-]+\.preview\.example$/],
      credentials: true,
      allowedHeaders: ['Last-Event-ID', 'Authorization'],
      exposedHeaders: ['X-Stream-Id'],
      maxAge: 600,
    },
  });
  await app.listen(0, '127.0.0.1');
  try {
    const preflight = await fetch(`${app.url}/ticks`, {
      method: 'OPTIONS',
      headers: { origin: 'https://pr-12.preview.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://pr-12.preview.example');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'Last-Event-ID, Authorization');
    assert.equal(preflight.headers.get('access-control-max-age'), '600');
    const stream = await fetch(`${app.url}/ticks`, { headers: { origin: 'https://app.example' } });
    assert.equal(stream.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(stream.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(stream.headers.get('access-control-expose-headers'), 'X-Stream-Id');
    assert.equal(await firstEvent(stream), 'data: 0\n\n');
  } finally {
    await app.close();
  }
});

test('README: HTTP/2', async () => {
  const { key, cert } = selfSignedCertificate();

  @Controller()
  class RoomsController {
    @Sse('rooms/:room')
    room(ctx: RequestContext) {
      return interval(10).pipe(map((n) => ({ data: { room: ctx.params.room, n } })));
    }
  }

  const app = createApp({
    controllers: [RoomsController],
    http2: { key, cert },
  });
  await app.listen(0, '127.0.0.1');
  const client = http2Fetch(app.url, { ca: cert });
  try {
    assert.match(app.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => client.request(`/rooms/r${i}`)));
    const events = await Promise.all(responses.map(firstEvent));
    assert.deepEqual(events, Array.from({ length: 12 }, (_, i) => `data: {"room":"r${i}","n":0}\n\n`));
  } finally {
    await app.close();
    client.closeAll();
  }
});
