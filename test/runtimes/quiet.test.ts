// Quiet streams and the hosts' idle limits: 30 s of heartbeats only on Bun.serve and Deno.serve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Runtime } from './runtime-bin.js';
import { eventually, stats } from './helpers.js';

const runtimes: Runtime[] = ['bun', 'deno'];
const utf8 = new TextDecoder();
void utf8;

test(`a stream quiet for 30 s (heartbeats only) stays open on Bun and on Deno, also when eventide cannot lift Bun's idle timeout (no server argument, or mounted in Hono)`, async () => {
  const servers = {
    bun: await startFixture('bun', 'test/runtimes/fixtures/quiet.fixture.ts'),
    deno: await startFixture('deno', 'test/runtimes/fixtures/quiet.fixture.ts'),
    // The same app behind `fetch: (request) => app.fetch(request)`: eventide cannot reach Bun's
    // per-request timeout, so Bun's 10 s idle timeout applies and eventide keeps the stream talking.
    bunNoInfo: await startFixture('bun', 'test/runtimes/fixtures/quiet.fixture.ts', { __dropHostInfo: true }),
    // Mounted in Hono, whose rewritten Request is not the one Bun.serve can lift the timeout of.
    bunHono: await startFixture('bun', 'test/runtimes/fixtures/hono.fixture.ts'),
    denoHono: await startFixture('deno', 'test/runtimes/fixtures/hono.fixture.ts'),
  };
  const watch = async (url: string) => {
    const started = Date.now();
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    const reader = response.body!.getReader();
    let text = '';
    let endedAt: number | undefined;
    let last = started;
    let longestQuiet = 0;
    const reading = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          longestQuiet = Math.max(longestQuiet, Date.now() - last);
          last = Date.now();
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
      /** The longest time without a byte, up to now. */
      get longestQuiet() {
        return Math.max(longestQuiet, Date.now() - last);
      },
      async stop() {
        controller.abort();
        await reading;
      },
    };
  };
  try {
    const streams = await Promise.all([
      watch(`${servers.bun.url}/quiet`),
      watch(`${servers.deno.url}/quiet`),
      watch(`${servers.bunNoInfo.url}/quiet`),
      watch(`${servers.bunHono.url}/events/feed/events`),
      watch(`${servers.denoHono.url}/events/feed/events`),
    ]);
    const [bun, deno, bunNoInfo, bunHono, denoHono] = streams;
    await new Promise((r) => setTimeout(r, 31_000));
    const named = { bun, deno, bunNoInfo, bunHono, denoHono };
    for (const [name, stream] of Object.entries(named)) {
      assert.equal(stream.status, 200, name);
      assert.equal(stream.endedAt, undefined, `${name}: the quiet stream ended after ${stream.endedAt} ms`);
    }
    // Where the idle limit was lifted, or there is none: the heartbeats at 15 s and 30 s (and on Bun the opening comment).
    for (const [name, stream] of [['bun', bun], ['deno', deno]] as const) {
      const comments = stream.text.match(/:\n/g)?.length ?? 0;
      assert.ok(comments >= 2 && comments <= 3 && /^(:\n)+$/.test(stream.text), `${name}: got ${JSON.stringify(stream.text)}`);
    }
    assert.match(denoHono.text, /^id: 1\ndata: \/feed\/events from 127\.0\.0\.1\n\n(:\n){1,2}$/, 'the event, then the heartbeats it did not replace');
    // Where it could not be: a comment at least every 8 s, so nothing is quiet for Bun's 10 s.
    for (const [name, stream] of [['bunNoInfo', bunNoInfo], ['bunHono', bunHono]] as const) {
      const comments = stream.text.match(/:\n/g)?.length ?? 0;
      assert.ok(comments >= 4, `${name}: ${comments} comments in 31 s: ${JSON.stringify(stream.text)}`);
      assert.ok(stream.longestQuiet < 9_000, `${name}: quiet for ${stream.longestQuiet} ms`);
    }
    assert.match(bunNoInfo.text, /^(:\n)+$/);
    assert.match(bunHono.text, /^id: 1\ndata: \/feed\/events from unknown\n\n(:\n)+$/);
    const open = await Promise.all(Object.values(servers).map((s) => stats(s)));
    assert.deepEqual(open.map((s) => s.openStreams), [1, 1, 1, 1, 1]);
    await Promise.all(streams.map((s) => s.stop()));
    await eventually(() => Promise.all(Object.values(servers).map((s) => stats(s))), (all) => all.every((s) => s.openStreams === 0), 'the streams to close');
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
});
