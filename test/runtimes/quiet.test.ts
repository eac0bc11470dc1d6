// Quiet streams and the hosts' idle limits: 30 s of heartbeats only on Bun.serve and Deno.serve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Runtime } from './runtime-bin.js';
import { eventually, stats } from './helpers.js';

const runtimes: Runtime[] = ['bun', 'deno'];
const utf8 = new TextDecoder();
void utf8;

test('a stream quiet for 30 s (heartbeats only) stays open on Bun and on Deno; without the server argument Bun cuts it at its idle timeout', async () => {
  const servers = {
    bun: await startFixture('bun', 'test/runtimes/fixtures/quiet.fixture.ts'),
    deno: await startFixture('deno', 'test/runtimes/fixtures/quiet.fixture.ts'),
    // The same app behind `fetch: (request) => app.fetch(request)`: eventide cannot reach Bun's
    // per-request timeout, so Bun's 10 s idle timeout applies.
    bunNoInfo: await startFixture('bun', 'test/runtimes/fixtures/quiet.fixture.ts', { __dropHostInfo: true }),
  };
  const watch = async (url: string) => {
    const started = Date.now();
    const controller = new AbortController();
    const response = await fetch(`${url}/quiet`, { signal: controller.signal });
    const reader = response.body!.getReader();
    let text = '';
    let endedAt: number | undefined;
    const reading = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += utf8.decode(value);
        }
      } catch {
        // cut
      }
      endedAt = Date.now() - started;
    })();
    return {
      status: response.status,
      get text() {
        return text;
      },
      get endedAt() {
        return endedAt;
      },
      async stop() {
        controller.abort();
        await reading;
      },
    };
  };
  try {
    const [bun, deno, bunNoInfo] = await Promise.all([watch(servers.bun.url), watch(servers.deno.url), watch(servers.bunNoInfo.url)]);
    await new Promise((r) => setTimeout(r, 31_000));
    for (const [name, stream] of [['bun', bun], ['deno', deno]] as const) {
      assert.equal(stream.status, 200);
      assert.equal(stream.endedAt, undefined, `${name}: the quiet stream ended after ${stream.endedAt} ms`);
      // The heartbeats at 15 s and 30 s (and on Bun the opening comment).
      const comments = stream.text.match(/:\n/g)?.length ?? 0;
      assert.ok(comments >= 2 && /^(:\n)+$/.test(stream.text), `${name}: got ${JSON.stringify(stream.text)}`);
    }
    assert.ok(bunNoInfo.endedAt !== undefined && bunNoInfo.endedAt >= 9_000 && bunNoInfo.endedAt < 15_000, `Bun's idle timeout cut the stream after ${bunNoInfo.endedAt} ms`);
    const open = await Promise.all([stats(servers.bun), stats(servers.deno)]);
    assert.deepEqual(open.map((s) => s.openStreams), [1, 1]);
    await Promise.all([bun.stop(), deno.stop(), bunNoInfo.stop()]);
    await eventually(() => Promise.all([stats(servers.bun), stats(servers.deno), stats(servers.bunNoInfo)]), (all) => all.every((s) => s.openStreams === 0), 'the streams to close');
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
});
