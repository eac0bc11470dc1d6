// Plays the conformance corpus to popular npm clients (devDependencies: `eventsource` in Node,
// `@microsoft/fetch-event-source` in Chromium, `eventsource-parser` at the parser level) and to
// eventide's client, and prints where each differs from the fixtures' expected events.
// Evidence for the README's comparison table. Run: npx tsx test/client/conformance/compare-npm.ts
import { EventSource as NpmEventSource } from 'eventsource';
import { EventSource } from '../../../src/client/event-source.js';
import { chunkBytes, loadFixtures } from './fixtures.js';
import { record, type TraceEntry } from './record.js';
import { startPlayServer } from './play-server.js';

const fixtures = loadFixtures();
const server = await startPlayServer(fixtures, '');
const version = (await import('eventsource/package.json', { with: { type: 'json' } })).default.version;
let run = 0;
const report: Record<string, string[]> = { eventide: [], [`eventsource@${version}`]: [] };
try {
  for (const fixture of fixtures) {
    const expected: TraceEntry[] = [
      { kind: 'open', readyState: 1 },
      ...fixture.events.map((e) => ({ kind: 'event' as const, ...e, origin: server.url, readyState: 1 })),
      { kind: 'error', readyState: 0 },
    ];
    for (const [name, ctor] of [['eventide', EventSource], [`eventsource@${version}`, NpmEventSource]] as const) {
      run += 1;
      const trace = await record(ctor as never, `${server.url}/fixture/${fixture.name}/${run}`, fixture.listen ?? []);
      if (JSON.stringify(trace) !== JSON.stringify(expected)) {
        const got = trace.map((t) => (t.kind === 'event' ? `${t.type}:${JSON.stringify(t.data)}:${JSON.stringify(t.lastEventId)}` : t.kind === 'timeout' ? 'timeout' : `${t.kind}(${t.readyState})`));
        report[name]!.push(`${fixture.name}: got [${got.join(', ')}]`);
      }
    }
  }
} finally {
  await server.close();
}
for (const [name, diffs] of Object.entries(report)) {
  console.log(`${name}: ${fixtures.length - diffs.length}/${fixtures.length} fixtures as expected`);
  for (const diff of diffs) console.log(`  ${diff}`);
}

// eventsource-parser, used the common way: bytes through a streaming TextDecoder (which strips one
// leading BOM itself), text into feed(), reset() at the end of the stream. Compared on type and
// data only: lastEventId is the caller's to track with that library.
const { createParser } = await import('eventsource-parser');
const parserVersion = (await import('eventsource-parser/package.json', { with: { type: 'json' } })).default.version;
const parserDiffs: string[] = [];
for (const fixture of fixtures) {
  const listened = new Set(['message', ...(fixture.listen ?? [])]);
  const got: string[] = [];
  const parser = createParser({
    onEvent: (event) => {
      const type = event.event ?? 'message';
      if (listened.has(type)) got.push(`${type}:${JSON.stringify(event.data)}`);
    },
  });
  const decoder = new TextDecoder();
  for (const chunk of fixture.chunks) parser.feed(decoder.decode(chunkBytes(chunk), { stream: true }));
  parser.feed(decoder.decode());
  parser.reset();
  const want = fixture.events.map((e) => `${e.type}:${JSON.stringify(e.data)}`);
  if (JSON.stringify(got) !== JSON.stringify(want)) parserDiffs.push(`${fixture.name}: got [${got.join(', ')}]`);
}
console.log(`eventsource-parser@${parserVersion} (type and data): ${fixtures.length - parserDiffs.length}/${fixtures.length} fixtures as expected`);
for (const diff of parserDiffs) console.log(`  ${diff}`);

// @microsoft/fetch-event-source needs `window` and `document`: it runs in Chromium, bundled.
const { build } = await import('esbuild');
const { chromium } = await import('playwright-core');
const fesVersion = (await import('@microsoft/fetch-event-source/package.json', { with: { type: 'json' } })).default.version;
const bundle = await build({
  stdin: {
    contents: `
      import { fetchEventSource } from '@microsoft/fetch-event-source';
      class Stop extends Error {}
      globalThis.recordFes = async (url) => {
        const got = [];
        await fetchEventSource(url, {
          openWhenHidden: true,
          onmessage: (ev) => got.push((ev.event || 'message') + ':' + JSON.stringify(ev.data)),
          onclose: () => { throw new Stop(); },
          onerror: (error) => { throw error; },
        }).catch((error) => { if (!(error instanceof Stop)) got.push('error:' + error); });
        return got;
      };`,
    resolveDir: process.cwd(),
  },
  bundle: true,
  format: 'iife',
  write: false,
  logLevel: 'silent',
});
const fesServer = await startPlayServer(fixtures, bundle.outputFiles[0]!.text);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const fesDiffs: string[] = [];
try {
  const page = await browser.newPage();
  await page.goto(`${fesServer.url}/`);
  await page.waitForFunction(() => 'recordFes' in globalThis);
  for (const fixture of fixtures) {
    const got: string[] = await page.evaluate((url) => (globalThis as any).recordFes(url), `${fesServer.url}/fixture/${fixture.name}/fes`);
    // It hands every event to onmessage; keep those an EventSource listener would get, to compare.
    const listened = new Set(['message', ...(fixture.listen ?? [])]);
    const kept = got.filter((entry) => listened.has(entry.slice(0, entry.indexOf(':'))));
    const want = fixture.events.map((e) => `${e.type}:${JSON.stringify(e.data)}`);
    if (JSON.stringify(kept) !== JSON.stringify(want)) fesDiffs.push(`${fixture.name}: got [${kept.join(', ')}]`);
  }
} finally {
  await browser.close();
  await fesServer.close();
}
console.log(`@microsoft/fetch-event-source@${fesVersion} in Chromium (type and data): ${fixtures.length - fesDiffs.length}/${fixtures.length} fixtures as expected`);
for (const diff of fesDiffs) console.log(`  ${diff}`);
