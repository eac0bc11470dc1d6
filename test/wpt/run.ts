// Runs the ported eventsource/ tests in real Chromium, once with Chromium's own EventSource and
// once with eventide's client in its place, every test file in a fresh browser context (its own
// cookies and connection pool). `npx tsx test/wpt/run.ts` prints the results.
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_PATH } from '../support/chromium.js';
import type { Result } from './harness.js';
import { SITE, bundle, startWptServer } from './server.js';

export type Impl = 'native' | 'eventide';
export type Outcome = Record<Impl, Map<string, Result>>;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Second and third origins of one site for the cross-origin tests: www2.wpt.test, xn--lve-6lad.wpt.test.
  `--host-resolver-rules=MAP ${SITE} 127.0.0.1, MAP *.${SITE} 127.0.0.1`,
];

async function runFile(browser: Browser, url: string): Promise<Result[]> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => 'wptResults' in globalThis, undefined, { timeout: 20_000 });
    return (await page.evaluate(() => (globalThis as unknown as { wptResults: Result[] }).wptResults)) as Result[];
  } finally {
    await context.close();
  }
}

/** Every ported test with both implementations; results by test name. */
export async function runWpt(files?: string[], concurrency = 4): Promise<Outcome> {
  const server = await startWptServer(await bundle());
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
  const outcome: Outcome = { native: new Map(), eventide: new Map() };
  try {
    const { cases } = await import('./cases.js');
    const jobs: [string, Impl][] = [];
    for (const file of files ?? Object.keys(cases)) for (const impl of ['native', 'eventide'] as const) jobs.push([file, impl]);
    const worker = async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const [file, impl] = job;
        let results: Result[];
        try {
          results = await runFile(browser, server.pageUrl(file, impl));
        } catch (error) {
          results = [{ name: `${file}: (page)`, status: 'FAIL', message: String(error) }];
        }
        for (const result of results) outcome[impl].set(result.name, result);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await browser.close();
    await server.close();
  }
  return outcome;
}

const passed = (results: Map<string, Result>) => [...results.values()].filter((r) => r.status === 'PASS').length;

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await runWpt(process.argv.slice(2).length > 0 ? process.argv.slice(2) : undefined);
  const names = [...new Set([...outcome.native.keys(), ...outcome.eventide.keys()])].sort();
  for (const name of names) {
    const n = outcome.native.get(name);
    const e = outcome.eventide.get(name);
    console.log(`${(n?.status ?? '-').padEnd(7)} ${(e?.status ?? '-').padEnd(7)} ${name}${e?.status !== 'PASS' && e?.message ? `  [eventide: ${e.message}]` : ''}${n?.status !== 'PASS' && n?.message ? `  [native: ${n.message}]` : ''}`);
  }
  console.log(`native Chromium EventSource: ${passed(outcome.native)} / ${outcome.native.size} passed`);
  console.log(`eventide client in Chromium:  ${passed(outcome.eventide)} / ${outcome.eventide.size} passed`);
}
