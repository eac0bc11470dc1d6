// Under Bun and Deno: parameter decorators (experimentalDecorators), the Redis backend on Bun, and
// eventide/client reading an eventide stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Observable } from 'rxjs';
import { Controller, Sse, createApp } from '../../src/index.js';
import { runArgs, runToEnd, runtimeBinary, startFixture, type Runtime } from './runtime-bin.js';
import { eventually, stats } from './helpers.js';

const runtimes: Runtime[] = ['bun', 'deno'];
const utf8 = new TextDecoder();
void utf8;

for (const runtime of runtimes) {
  test(`${runtime}: parameter decorators (experimentalDecorators) serve through the fetch handler`, async () => {
    const config = runtime === 'bun' ? 'test/runtimes/fixtures/legacy.tsconfig.json' : 'test/runtimes/fixtures/legacy.deno.json';
    const server = await startFixture(runtime, 'test/runtimes/fixtures/legacy.fixture.ts', {}, config);
    try {
      const stream = await fetch(`${server.url}/legacy/rooms/blue?q=1`, { headers: { 'X-Test': 'yes', 'Last-Event-ID': '42' } });
      assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const text = await stream.text();
      const data = JSON.parse(text.slice('data: '.length).trim());
      // `req` is the platform's request: a web Request here, whose method is GET.
      assert.deepEqual(data, { room: 'blue', q: '1', header: 'yes', lastEventId: '42', signal: true, method: 'GET' });
      const echo = await fetch(`${server.url}/legacy/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      assert.deepEqual(await echo.json(), { body: { a: 1 }, params: {}, path: '/legacy/echo' });
    } finally {
      await server.stop();
    }
  });
}


test('bun: the Hub on the Redis backend (ioredis) streams and resumes after Last-Event-ID', async () => {
  const server = await startFixture('bun', 'test/runtimes/fixtures/redis.fixture.ts', { redisUrl: 'redis://127.0.0.1:6379', keyPrefix: `eventide-test:bun:${randomUUID()}:` });
  try {
    const publish = async (data: unknown) => ((await (await fetch(`${server.url}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) })).json()) as { id: string }).id;
    const first = await publish({ n: 1 });
    const second = await publish({ n: 2 });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/feed`, { headers: { 'Last-Event-ID': first }, signal: controller.signal });
    const reader = response.body!.getReader();
    let text = '';
    const third = publish({ n: 3 });
    while (!text.includes('"n":3')) text += utf8.decode((await reader.read()).value);
    const ids = [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    assert.deepEqual(ids, [second, await third], 'resumed after the first event, then live');
    assert.ok(!text.includes('"n":1'));
    controller.abort();
    await eventually(() => stats(server), (s) => s.openStreams === 0, 'the stream to close');
    assert.deepEqual((await stats(server)).errors, []);
  } finally {
    await server.stop();
  }
});


for (const runtime of runtimes) {
  test(`${runtime}: eventide/client (events() and EventSource) reads an eventide stream`, async () => {
    @Controller()
    class Count {
      @Sse('count')
      count() {
        return new Observable<{ data: unknown; id: string }>((sub) => {
          sub.next({ data: { n: 1 }, id: 'a' });
          sub.next({ data: 'two', id: 'b' });
          sub.next({ data: [3], id: 'c' });
        });
      }
    }
    const app = createApp({ controllers: [Count] });
    await app.listen(0, '127.0.0.1');
    try {
      const { code, output } = await runToEnd(runtimeBinary(runtime), [...runArgs(runtime, 'test/runtimes/fixtures/client.ts'), `${app.url}/count`, '3'], {}, 30_000);
      assert.equal(code, 0, output);
      const line = output.trim().split('\n').find((l) => l.startsWith('{'));
      assert.deepEqual(JSON.parse(line!), {
        viaIterator: [
          { type: 'message', data: { n: 1 }, id: 'a' },
          { type: 'message', data: 'two', id: 'b' },
          { type: 'message', data: [3], id: 'c' },
        ],
        viaEventSource: ['{"n":1}', 'two', '[3]'],
      });
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 5000;
        const check = () => (app.stats.openStreams === 0 ? resolve() : Date.now() > deadline ? reject(new Error('streams left open')) : setTimeout(check, 10));
        check();
      });
    } finally {
      await app.close();
    }
  });
}
