// The seed example served by Bun.serve and by Deno.serve (child processes), received by Chromium's EventSource.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumSkipReason, launchChromium } from '../support/chromium.js';
import { startFixture, type Runtime } from './runtime-bin.js';
import { eventually, stats } from './helpers.js';

const runtimes: Runtime[] = ['bun', 'deno'];
const utf8 = new TextDecoder();
void utf8;

for (const runtime of runtimes) {
  test(`${runtime}: the seed example received by Chromium's EventSource`, { skip: chromiumSkipReason() }, async () => {
    const server = await startFixture(runtime, 'test/runtimes/fixtures/seed.fixture.ts');
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      // A page from the same origin, so the EventSource needs no CORS.
      await page.goto(`${server.url}/__fixture/stats`);
      const received = await page.evaluate(
        () =>
          new Promise<{ data: string[]; opened: boolean }>((resolve, reject) => {
            const source = new EventSource('/sse');
            const data: string[] = [];
            let opened = false;
            source.onopen = () => (opened = true);
            source.onmessage = (event) => {
              data.push(event.data);
              if (data.length === 2) {
                source.close();
                resolve({ data, opened });
              }
            };
            setTimeout(() => reject(new Error(`only ${data.length} messages in 10 s`)), 10_000);
          }),
      );
      assert.equal(received.opened, true);
      assert.deepEqual(received.data, ['{"hello":"world"}', '{"hello":"world"}']);
      await eventually(() => stats(server), (s) => s.openStreams === 0, 'the closed EventSource to end its stream');
    } finally {
      await chromium.close();
      await server.stop();
    }
  });
}
