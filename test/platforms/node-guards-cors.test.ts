// Guards and CORS beyond the shared suite: experimentalDecorators, inheritance, hostile guards,
// every origin form, and the option checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEVER, of } from 'rxjs';
import { Controller, Get, Sse, UseGuards, createApp, httpError, isEventideError, type Guard, type RequestContext } from '../../src/index.js';

async function withApp(options: Parameters<typeof createApp>[0], fn: (url: string, app: ReturnType<typeof createApp>) => Promise<void>) {
  const app = createApp(options);
  await app.listen(0, '127.0.0.1');
  try {
    await fn(app.url, app);
  } finally {
    await app.close();
  }
}

test('@UseGuards under experimentalDecorators (the legacy call shapes), in page order, inherited from base classes', async () => {
  const calls: string[] = [];
  const mark = (name: string, verdict = true): Guard => () => {
    calls.push(name);
    return verdict;
  };
  // What TypeScript emits for experimentalDecorators: class decorators get the constructor, method
  // decorators (target prototype, key, descriptor); decorators apply bottom-up.
  class Base {
    stream() {
      return of({ data: 'base' });
    }
  }
  const decorateMethod = (proto: object, key: string, decorators: ((t: object, k: string, d: PropertyDescriptor) => void)[]) => {
    const descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
    for (const d of [...decorators].reverse()) d(proto, key, descriptor);
  };
  decorateMethod(Base.prototype, 'stream', [UseGuards(mark('route-1')) as never, UseGuards(mark('route-2')) as never, Sse('stream') as never]);
  for (const d of [Controller('legacy'), UseGuards(mark('base-1'), mark('base-2'))].reverse()) (d as (t: Function) => void)(Base);
  class Derived extends Base {
    open() {
      return 'open';
    }
  }
  decorateMethod(Derived.prototype, 'open', [Get('open') as never]);
  for (const d of [Controller('derived'), UseGuards(mark('derived', false))].reverse()) (d as (t: Function) => void)(Derived);

  await withApp({ controllers: [Base, Derived], guards: [mark('app')] }, async (url) => {
    const res = await fetch(`${url}/legacy/stream`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'data: base\n\n');
    assert.deepEqual(calls, ['app', 'base-1', 'base-2', 'route-1', 'route-2']);
    calls.length = 0;
    const refused = await fetch(`${url}/derived/open`);
    assert.equal(refused.status, 403);
    await refused.text();
    assert.deepEqual(calls, ['app', 'base-1', 'base-2', 'derived']);
    calls.length = 0;
    // The derived controller inherits the base route and its guards, then adds its own.
    const inherited = await fetch(`${url}/derived/stream`);
    assert.equal(inherited.status, 403);
    await inherited.text();
    assert.deepEqual(calls, ['app', 'base-1', 'base-2', 'derived']);
  });
});

test('hostile guards: a wrong return value, a guard that never settles while the client leaves, 429 with headers', async () => {
  let pending = 0;
  const errors: unknown[] = [];
  @Controller()
  class C {
    @UseGuards((() => 'yes') as unknown as Guard)
    @Get('weird')
    weird() {
      return 'unreachable';
    }

    @UseGuards(async (ctx) => {
      pending++;
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      return false;
    })
    @Sse('slow-guard')
    slowGuard() {
      return NEVER;
    }

    @UseGuards((ctx) => {
      ctx.setHeader('Retry-After', '30');
      throw httpError(429, 'slow down');
    })
    @Sse('limited')
    limited() {
      return NEVER;
    }
  }
  await withApp({ controllers: [C], maxStreams: 1, onError: (e) => errors.push(e) }, async (url, app) => {
    const weird = await fetch(`${url}/weird`);
    assert.equal(weird.status, 500);
    await weird.text();
    assert.ok(errors.some((e) => /returned string; a guard returns true, false or nothing/.test((e as Error).message)), 'reported with a clear message');

    // A guard still deciding holds no stream slot; when its client leaves, nothing opens.
    const controller = new AbortController();
    const waiting = fetch(`${url}/slow-guard`, { signal: controller.signal }).catch((e: Error) => e);
    while (pending === 0) await new Promise((r) => setTimeout(r, 5));
    const limited = await fetch(`${url}/limited`);
    assert.equal(limited.status, 429, 'the one slot is not taken by the deciding guard');
    assert.equal(limited.headers.get('retry-after'), '30', 'a refusal keeps the headers its guard set');
    assert.equal((await limited.json()).message, 'slow down');
    controller.abort();
    assert.ok((await waiting) instanceof Error);
    while (app.stats.openStreams !== 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(app.stats.totalStreams, 0);
  });
});

test('CORS origin forms: true reflects, "*" is a wildcard, RegExp and function decide, a throwing function allows nothing', async () => {
  @Controller()
  class C {
    @Sse('events')
    events() {
      return of({ data: 'x' });
    }
  }
  const check = async (cors: unknown, origin: string, expected: string | null, vary: string | null = 'Origin') => {
    await withApp({ controllers: [C], cors: cors as never }, async (url) => {
      const res = await fetch(`${url}/events`, { headers: { origin } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), expected, `${String(cors)} for ${origin}`);
      assert.equal(res.headers.get('vary'), vary);
      await res.text();
    });
  };
  await check(true, 'https://any.example', 'https://any.example');
  await check({ origin: '*' }, 'https://any.example', '*', null);
  await check({ origin: /^https:\/\/[a-z]+\.good\.example$/g }, 'https://a.good.example', 'https://a.good.example');
  await check({ origin: /^https:\/\/[a-z]+\.good\.example$/g }, 'https://evil.example', null);
  await check({ origin: (o: string) => o.endsWith('.good.example') }, 'https://b.good.example', 'https://b.good.example');
  await check({ origin: () => { throw new Error('bug'); } }, 'https://b.good.example', null);
  await check({ origin: 'https://one.example' }, 'https://one.example', 'https://one.example');
  await check({ origin: 'https://one.example' }, 'https://two.example', null);

  // A preflight with allowedHeaders and methods fixed by the app.
  await withApp(
    { controllers: [C], cors: { origin: true, allowedHeaders: ['Last-Event-ID'], methods: ['GET', 'POST'] } },
    async (url) => {
      const res = await fetch(`${url}/events`, {
        method: 'OPTIONS',
        headers: { origin: 'https://x.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-anything' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, HEAD');
      assert.equal(res.headers.get('access-control-allow-headers'), 'Last-Event-ID');
      assert.equal(res.headers.get('access-control-max-age'), null);
      // A plain OPTIONS without Access-Control-Request-Method is no preflight: the route table answers.
      const plain = await fetch(`${url}/events`, { method: 'OPTIONS', headers: { origin: 'https://x.example' } });
      assert.equal(plain.status, 405);
      assert.equal(plain.headers.get('access-control-allow-origin'), 'https://x.example');
      await plain.text();
    },
  );
});

test('the cors and guards options are checked at start-up', () => {
  @Controller()
  class C {}
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ cors: {} }, /say which origins/],
    [{ cors: { origin: 5 } }, /`origin` must be/],
    [{ cors: { origin: 'a, b' } }, /one origin/],
    [{ cors: { origin: '*', credentials: true } }, /credentials/],
    [{ cors: { origin: true, exposedHeaders: ['bad header'] } }, /exposedHeaders/],
    [{ cors: { origin: true, maxAge: -1 } }, /maxAge/],
    [{ cors: 'yes' }, /expected true or an object/],
    [{ guards: [() => true, 'nope'] }, /guards/],
    [{ guards: () => true }, /guards/],
  ];
  for (const [extra, message] of cases) {
    assert.throws(
      () => createApp({ controllers: [C], ...extra }),
      (err: unknown) => isEventideError(err, 'EVENTIDE_INVALID_OPTION') && message.test((err as Error).message),
      JSON.stringify(extra),
    );
  }
  assert.throws(() => UseGuards('x' as never), (err: unknown) => isEventideError(err, 'EVENTIDE_INVALID_ROUTE'));
});

test('a guard sees the request context (params, query, headers, ip) but not the body yet', async () => {
  const seen: unknown[] = [];
  @Controller('items')
  class Items {
    @UseGuards((ctx: RequestContext) => {
      seen.push({ id: ctx.params.id, q: ctx.query.q, h: ctx.headers['x-h'], ip: ctx.ip, body: ctx.body });
    })
    @Sse(':id', { method: 'POST' })
    item(ctx: RequestContext) {
      seen.push({ body: ctx.body });
      return of({ data: 'ok' });
    }
  }
  await withApp({ controllers: [Items] }, async (url) => {
    const res = await fetch(`${url}/items/7?q=z`, { method: 'POST', headers: { 'x-h': 'v', 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(await res.text(), 'data: ok\n\n');
    assert.deepEqual(seen, [{ id: '7', q: 'z', h: 'v', ip: '127.0.0.1', body: undefined }, { body: { a: 1 } }]);
  });
});
