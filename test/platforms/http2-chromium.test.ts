// Real Chromium: over HTTP/2 with TLS one page holds 12 EventSources to one origin, all live; over
// HTTP/1.1 the same page gets six, and the seventh waits for a connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Observable } from 'rxjs';
import { Controller, Get, Sse, createApp, type RequestContext } from '../../src/index.js';
import { CHROMIUM_PATH, chromiumSkipReason } from '../support/chromium.js';
import { CHROMIUM_FLAGS } from '../support/chromium-flags.mjs';
import { selfSignedCertificate } from './http2-client.js';

const STREAMS = 12;

const PAGE = `<!doctype html><meta charset="utf-8"><title>twelve streams</title>
<script>
  window.received = new Set();
  window.sources = [];
  for (let i = 0; i < ${STREAMS}; i++) {
    const source = new EventSource('/events/' + i);
    source.onmessage = () => window.received.add(i);
    window.sources.push(source);
  }
</script>`;

function controllerFor(versions: string[]) {
  @Controller()
  class Twelve {
    @Get('')
    page(ctx: RequestContext) {
      ctx.setHeader('Content-Type', 'text/html; charset=utf-8');
      return PAGE;
    }

    @Sse('events/:n')
    events(ctx: RequestContext) {
      versions.push((ctx.req as { httpVersion?: string }).httpVersion ?? '?');
      // One event at once, then the stream stays open (as a live feed would).
      return new Observable((sub) => sub.next({ data: `stream ${ctx.params.n}` }));
    }
  }
  return Twelve;
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      ...CHROMIUM_FLAGS,
      // The test's own self-signed certificate.
      '--ignore-certificate-errors',
    ],
  });
}

const received = (page: Page) => page.evaluate(() => [...(window as unknown as { received: Set<number> }).received].sort((a, b) => a - b));

test('Chromium over HTTP/2 with TLS: 12 EventSources to one origin all receive events', { skip: chromiumSkipReason() }, async () => {
  const { key, cert } = selfSignedCertificate();
  const versions: string[] = [];
  const app = createApp({ controllers: [controllerFor(versions)], http2: { key, cert } });
  const { port } = await app.listen(0, '127.0.0.1');
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`https://127.0.0.1:${port}/`);
    await page.waitForFunction((n) => (window as unknown as { received: Set<number> }).received.size === n, STREAMS, { timeout: 20_000 });
    assert.deepEqual(await received(page), Array.from({ length: STREAMS }, (_, i) => i));
    assert.equal(app.stats.openStreams, STREAMS);
    const protocol = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol);
    assert.equal(protocol, 'h2');
    assert.deepEqual(versions, Array(STREAMS).fill('2.0'), 'every stream came over HTTP/2');
  } finally {
    await browser.close();
    await app.close();
  }
});

test('Chromium over HTTP/1.1: the same page gets six streams; the seventh waits for a free connection', { skip: chromiumSkipReason() }, async () => {
  const versions: string[] = [];
  const app = createApp({ controllers: [controllerFor(versions)] });
  await app.listen(0, '127.0.0.1');
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`${app.url}/`);
    await page.waitForFunction(() => (window as unknown as { received: Set<number> }).received.size === 6, undefined, { timeout: 20_000 });
    // Give the browser every chance to open a seventh: it does not, the others stay CONNECTING.
    await new Promise((r) => setTimeout(r, 500));
    const six = await received(page);
    assert.equal(six.length, 6);
    assert.equal(app.stats.openStreams, 6);
    const states = await page.evaluate(() => (window as unknown as { sources: EventSource[] }).sources.map((s) => s.readyState));
    assert.equal(states.filter((s) => s === 1).length, 6, 'six OPEN');
    assert.equal(states.filter((s) => s === 0).length, STREAMS - 6, 'the rest CONNECTING');
    // Closing one frees its connection: a waiting stream opens on it.
    await page.evaluate((i) => (window as unknown as { sources: EventSource[] }).sources[i].close(), six[0]);
    await page.waitForFunction(() => (window as unknown as { received: Set<number> }).received.size === 7, undefined, { timeout: 20_000 });
    assert.ok(versions.every((v) => v === '1.1'));
  } finally {
    await browser.close();
    await app.close();
  }
});
