// Runs the ported eventsource/ tests in real Chromium, once with Chromium's own EventSource and
// once with eventide's client in its place, every test file in a fresh browser context (its own
// cookies and connection pool). `npx tsx test/wpt/run.ts` prints the results.
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_PATH } from '../support/chromium.js';
import { CHROMIUM_FLAGS } from '../support/chromium-flags.mjs';
import type { Result } from './harness.js';
import { SITE, bundle, startWptServer } from './server.js';

export type Impl = 'native' | 'eventide';
export type Outcome = Record<Impl, Map<string, Result>>;

const ARGS = [
  ...CHROMIUM_FLAGS,
  // Second and third origins of one site for the cross-origin tests: www2.wpt.test, xn--lve-6lad.wpt.test.
  `--host-resolver-rules=MAP ${SITE} 127.0.0.1, MAP *.${SITE} 127.0.0.1`,
];

const TIMED = new Set(['format-field-retry', 'format-field-retry-bogus']);

async function runFile(context: BrowserContext, url: string): Promise<Result[]> {
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'wptResults' in globalThis, undefined, { timeout: 20_000, polling: 25 });
    return (await page.evaluate(() => (globalThis as unknown as { wptResults: Result[] }).wptResults)) as Result[];
  } finally {
    await page.close();
  }
}

/** Every ported test with both implementations; results by test name. */
export async function runWpt(files?: string[], concurrency = 4): Promise<Outcome> {
  const server = await startWptServer(await bundle());
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
  const outcome: Outcome = { native: new Map(), eventide: new Map() };
  try {
    const { cases } = await import('./cases.js');
    const { extraCases } = await import('./extra-cases.js');
    const jobs: [string, Impl][] = [];
    for (const file of files ?? [...Object.keys(cases), ...Object.keys(extraCases)]) for (const impl of ['native', 'eventide'] as const) jobs.push([file, impl]);
    // One browser context (cookie jar, connection pool) per implementation.
    const contexts = { native: await browser.newContext(), eventide: await browser.newContext() };
    const worker = (queue: [string, Impl][], attempts = 1) => async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const [file, impl] = job;
        let results: Result[] = [];
        const started = Date.now();
        for (let attempt = 1; attempt <= attempts; attempt++) {
          try {
            results = await runFile(contexts[impl], server.pageUrl(file, impl));
          } catch (error) {
            results = [{ name: `${file}: (page)`, status: 'FAIL', message: String(error) }];
          }
          if (results.every((result) => result.status === 'PASS')) break;
          for (const result of results) if (result.message !== undefined) result.message += ` (attempt ${attempt} of ${attempts})`;
        }
        if (process.env.WPT_TIMING) console.log(`${Date.now() - started} ms ${impl} ${file}`);
        for (const result of results) outcome[impl].set(result.name, result);
      }
    };
    // Tests that measure the reconnection time (wall clock, within 10 %) run one at a time, after
    // the others, and up to three times for either implementation: a loaded machine (npm test runs
    // test files in parallel) can delay a timer by more than that.
    const timed = jobs.filter(([file]) => TIMED.has(file));
    const untimed = jobs.filter(([file]) => !TIMED.has(file));
    await Promise.all(Array.from({ length: concurrency }, worker(untimed)));
    await worker(timed, 3)();
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
