// Routes, parameters, bodies and ordinary responses (standard decorators: one context object).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { of } from 'rxjs';
import { Controller, Sse, Get, Post, Delete, createApp, file, type RequestContext, type App } from '../../src/index.js';
import { openStream } from '../support/sse-client.js';

class Greeter {
  greet(name: string) {
    return `hello ${name}`;
  }
}

@Controller('api')
class ApiController {
  constructor(private readonly greeter: Greeter) {}

  @Get('items/:id')
  item(ctx: RequestContext) {
    return { id: ctx.params.id, q: ctx.query.q ?? null, all: ctx.url.searchParams.getAll('q') };
  }

  @Get('items/latest')
  latest() {
    return { latest: true };
  }

  @Get('greet/:name')
  greet(ctx: RequestContext) {
    return this.greeter.greet(ctx.params.name);
  }

  @Post('echo')
  echo(ctx: RequestContext) {
    return { body: ctx.body, type: ctx.headers['content-type'] };
  }

  @Delete('items/:id')
  remove(ctx: RequestContext) {
    ctx.status(202);
  }

  @Get('page')
  page() {
    return file(fileURLToPath(new URL('../fixtures/page.html', import.meta.url)));
  }

  @Get('missing-file')
  missing() {
    return file('/nonexistent/eventide/file.html');
  }

  @Sse('rooms/:room/events', { method: 'POST' })
  postStream(ctx: RequestContext) {
    return of({ data: { room: ctx.params.room, body: ctx.body as object } });
  }
}

async function withApp(fn: (app: App) => Promise<void>) {
  const app = createApp({ controllers: [new ApiController(new Greeter())], bodyLimit: 1024, onError: () => undefined });
  await app.listen(0, '127.0.0.1');
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}

test('path parameters, query, literal routes outranking parameters, services via instances', async () => {
  await withApp(async (app) => {
    assert.deepEqual(await (await fetch(`${app.url}/api/items/a%20b?q=1&q=2`)).json(), { id: 'a b', q: '1', all: ['1', '2'] });
    assert.deepEqual(await (await fetch(`${app.url}/api/items/latest`)).json(), { latest: true });
    const greet = await fetch(`${app.url}/api/greet/ada`);
    assert.equal(greet.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await greet.text(), 'hello ada');
  });
});

test('bodies: JSON, text, limits, malformed JSON', async () => {
  await withApp(async (app) => {
    const json = await fetch(`${app.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual(await json.json(), { body: { a: 1 }, type: 'application/json' });
    const text = await fetch(`${app.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    assert.deepEqual(await text.json(), { body: 'hi', type: 'text/plain' });
    const big = await fetch(`${app.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(2000) });
    assert.equal(big.status, 413);
    assert.match((await big.json()).message, /exceeds the limit of 1024 bytes/);
    const bad = await fetch(`${app.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).message, 'request body is not valid JSON');
  });
});

test('404, 405 with Allow, HEAD on GET routes, status without body', async () => {
  await withApp(async (app) => {
    const missing = await fetch(`${app.url}/nowhere`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).message, 'no route for GET /nowhere');
    const wrong = await fetch(`${app.url}/api/echo`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    await wrong.body?.cancel();
    const head = await fetch(`${app.url}/api/items/7`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(await head.text(), '');
    const removed = await fetch(`${app.url}/api/items/7`, { method: 'DELETE' });
    assert.equal(removed.status, 202);
  });
});

test('files: content type from the extension, 404 when missing', async () => {
  await withApp(async (app) => {
    const page = await fetch(`${app.url}/api/page`);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await page.text(), /<title>fixture<\/title>/);
    const missing = await fetch(`${app.url}/api/missing-file`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});

test('@Sse with POST and a body (fetch-based clients)', async () => {
  await withApp(async (app) => {
    const s = await openStream(`${app.url}/api/rooms/blue/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hi' }),
    });
    await s.finished;
    assert.deepEqual(JSON.parse(s.events[0].data), { room: 'blue', body: { prompt: 'hi' } });
  });
});

test('setup errors: not a controller, conflicting routes, bad parameter names', () => {
  class Plain {}
  assert.throws(() => createApp({ controllers: [Plain] }), {
    code: 'EVENTIDE_INVALID_CONTROLLER',
    message: 'Plain is not a controller: decorate its class with @Controller()',
  });
  @Controller('x')
  class Twice {
    @Get(':a') a() {}
    @Get(':b') b() {}
  }
  assert.throws(() => createApp({ controllers: [Twice] }), /two routes answer GET \/x\/:b/);
  @Controller()
  class BadParam {
    @Get(':1x') a() {}
  }
  assert.throws(() => createApp({ controllers: [BadParam] }), /parameter ":1x" must be a name/);
  @Controller()
  class NeedsArgs {
    constructor(dep: { x: number }) {
      if (!dep) throw new Error('no dep');
    }
    @Get() a() {}
  }
  assert.throws(() => createApp({ controllers: [NeedsArgs] }), /could not construct controller NeedsArgs without arguments; pass an instance/);
});

test('routes are inherited from a base controller class', async () => {
  class Base {
    @Get('ping')
    ping() {
      return 'pong';
    }
  }
  @Controller('child')
  class Child extends Base {}
  const app = createApp({ controllers: [Child] });
  await app.listen(0, '127.0.0.1');
  try {
    assert.equal(await (await fetch(`${app.url}/child/ping`)).text(), 'pong');
  } finally {
    await app.close();
  }
});
