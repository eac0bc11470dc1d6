// The conformance corpus over real HTTP: eventide's EventSource in Node, Chromium's native
// EventSource, and eventide's EventSource bundled into the same Chromium page must record the same
// events and state changes for every fixture, and match the fixture's expected events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EventSource } from '../../src/client/event-source.js';
import { loadFixtures, type Fixture } from './conformance/fixtures.js';
import { record, type TraceEntry } from './conformance/record.js';
import { bundleHarness, startPlayServer } from './conformance/play-server.js';
import type { TestServer } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const fixtures = loadFixtures();
let server: TestServer;
let browser: Browser | undefined;
let page: Page | undefined;
let run = 0;

before(async () => {
  server = await startPlayServer(fixtures, await bundleHarness());
  if (!existsSync(CHROMIUM)) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => 'eventideHarness' in globalThis);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

function expectedTrace(fixture: Fixture, origin: string): TraceEntry[] {
  return [
    { kind: 'open', readyState: 1 },
    ...fixture.events.map((event) => ({ kind: 'event' as const, ...event, origin, readyState: 1 })),
    // The stream ended: the source reconnects (readyState CONNECTING) and the recorder closes it.
    { kind: 'error', readyState: 0 },
  ];
}

function urlFor(fixture: Fixture): string {
  run += 1;
  return `${server.url}/fixture/${fixture.name}/${run}`;
}

async function inBrowser(fixture: Fixture, which: 'native' | 'eventide'): Promise<TraceEntry[]> {
  return page!.evaluate(
    ([url, listen, useNative]) => {
      const harness = (globalThis as any).eventideHarness;
      return harness.record(useNative ? EventSource : harness.EventSource, url, listen) as Promise<any>;
    },
    [urlFor(fixture), fixture.listen ?? [], which === 'native'] as const,
  );
}

for (const fixture of fixtures) {
  test(`conformance: ${fixture.name}`, async (t) => {
    const expected = expectedTrace(fixture, server.url);
    const node = await record(EventSource, urlFor(fixture), fixture.listen ?? []);
    assert.deepEqual(node, expected, `Node client: ${fixture.description}`);
    if (!page) {
      t.diagnostic(`${CHROMIUM} not found: browser comparison skipped`);
      return;
    }
    const native = await inBrowser(fixture, 'native');
    assert.deepEqual(native, node, `Chromium's EventSource differs from eventide's: ${fixture.description}`);
    const bundled = await inBrowser(fixture, 'eventide');
    assert.deepEqual(bundled, node, `eventide's client in Chromium differs: ${fixture.description}`);
  });
}
