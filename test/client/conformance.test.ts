// The conformance corpus over real HTTP: eventide's EventSource in Node, Chromium's native
// EventSource, and eventide's EventSource bundled into the same Chromium page must record the same
// events and state changes for every fixture, and match the fixture's expected events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EventSource } from '../../src/client/node.js';
import { loadFixtures, type Fixture } from './conformance/fixtures.js';
import { record, type TraceEntry } from './conformance/record.js';
import { bundleHarness, startPlayServer } from './conformance/play-server.js';
import { startServer, type TestServer } from './helpers.js';

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

async function inBrowser(
  url: string,
  listen: string[],
  which: 'native' | 'eventide',
  untilClosed = false,
): Promise<TraceEntry[]> {
  return page!.evaluate(
    ([url, listen, useNative, untilClosed]) => {
      const harness = (globalThis as any).eventideHarness;
      return harness.record(useNative ? EventSource : harness.EventSource, url, listen, 10_000, untilClosed) as Promise<any>;
    },
    [url, listen, which === 'native', untilClosed] as const,
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
    const native = await inBrowser(urlFor(fixture), fixture.listen ?? [], 'native');
    assert.deepEqual(native, node, `Chromium's EventSource differs from eventide's: ${fixture.description}`);
    const bundled = await inBrowser(urlFor(fixture), fixture.listen ?? [], 'eventide');
    assert.deepEqual(bundled, node, `eventide's client in Chromium differs: ${fixture.description}`);
  });
}

// Responses that are not event streams, and the end of a stream answered by 204: state changes only.
const httpCases: { name: string; path: string; untilClosed: boolean; expected: (origin: string) => TraceEntry[] }[] = [
  { name: '204 at connect fails', path: '/status/204', untilClosed: true, expected: () => [{ kind: 'error', readyState: 2 }] },
  { name: '500 fails', path: '/status/500', untilClosed: true, expected: () => [{ kind: 'error', readyState: 2 }] },
  { name: '404 fails', path: '/status/404', untilClosed: true, expected: () => [{ kind: 'error', readyState: 2 }] },
  { name: '200 text/plain fails', path: '/status/200', untilClosed: true, expected: () => [{ kind: 'error', readyState: 2 }] },
  {
    name: 'stream end reconnects with Last-Event-ID, 204 then stops',
    path: '/then-204',
    untilClosed: true,
    expected: (origin) => [
      { kind: 'open', readyState: 1 },
      { kind: 'event', type: 'message', data: 'a', lastEventId: '5', origin, readyState: 1 },
      { kind: 'error', readyState: 0 },
      { kind: 'error', readyState: 2 },
    ],
  },
];

for (const httpCase of httpCases) {
  test(`conformance (HTTP): ${httpCase.name}`, async (t) => {
    const url = () => `${server.url}${httpCase.path}/${++run}`;
    const node = await record(EventSource, url(), [], 10_000, httpCase.untilClosed);
    assert.deepEqual(node, httpCase.expected(server.url), 'Node client');
    if (!page) {
      t.diagnostic(`${CHROMIUM} not found: browser comparison skipped`);
      return;
    }
    assert.deepEqual(await inBrowser(url(), [], 'native', httpCase.untilClosed), node, "Chromium's EventSource");
    assert.deepEqual(await inBrowser(url(), [], 'eventide', httpCase.untilClosed), node, "eventide's client in Chromium");
  });
}

test('conformance (HTTP): connection refused reconnects (readyState CONNECTING on the first error)', async (t) => {
  const closed = await startServer(() => {});
  const url = `${closed.url}/`;
  await closed.close();
  const node = await record(EventSource, url, []);
  assert.deepEqual(node, [{ kind: 'error', readyState: 0 }], 'Node client');
  if (!page) return t.diagnostic(`${CHROMIUM} not found: browser comparison skipped`);
  assert.deepEqual(await inBrowser(url, [], 'native'), node, "Chromium's EventSource");
  assert.deepEqual(await inBrowser(url, [], 'eventide'), node, "eventide's client in Chromium");
});
