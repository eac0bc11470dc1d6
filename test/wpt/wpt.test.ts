// The web-platform-tests eventsource/ page-level tests (ported in cases.ts) in real Chromium, with
// Chromium's own EventSource and with eventide's client in its place, in the same run. eventide's
// client must pass exactly the tests listed in expectations.ts, and every test Chromium passes that
// it does not must be explained there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumSkipReason } from '../support/chromium.js';
import { CHROMIUM_FAILS, EVENTIDE_CANNOT, EVENTIDE_PASSES, NEITHER } from './expectations.js';
import { runWpt } from './run.js';
import type { Result } from './harness.js';

const skip = chromiumSkipReason();

const passing = (results: Map<string, Result>) => new Set([...results].filter(([, r]) => r.status === 'PASS').map(([name]) => name));
const EXTRA = 'eventide-extra/';

/** The headers an echo test recorded, as sorted name/value pairs; the page's own URL left out of Referer. */
function headerSets(note: string | undefined): string[][] {
  const requests = JSON.parse(note ?? '[]') as [string, string][][];
  return requests.map((pairs) => pairs.map(([name, value]) => `${name}: ${value.replace(/impl=(native|eventide)/, 'impl=*')}`).sort());
}

let outcome: Awaited<ReturnType<typeof runWpt>> | undefined;
const run = async () => (outcome ??= await runWpt());

test('WPT eventsource/: eventide in place of EventSource passes the listed tests, and each gap to Chromium is explained', { skip, timeout: 180_000 }, async (t) => {
  const all = await run();
  const only = (results: Map<string, Result>) => new Map([...results].filter(([name]) => !name.startsWith(EXTRA)));
  const outcome = { native: only(all.native), eventide: only(all.eventide) };
  const total = outcome.eventide.size;
  const eventide = passing(outcome.eventide);
  const native = passing(outcome.native);
  t.diagnostic(`Chromium's native EventSource: ${native.size} / ${outcome.native.size} passed`);
  t.diagnostic(`eventide's client in Chromium: ${eventide.size} / ${total} passed`);

  assert.equal(outcome.native.size, total, 'both implementations ran the same tests');
  const known = new Set([...EVENTIDE_PASSES, ...Object.keys(EVENTIDE_CANNOT), ...Object.keys(NEITHER)]);
  assert.deepEqual([...outcome.eventide.keys()].filter((name) => !known.has(name)), [], 'every test that ran is accounted for');

  for (const name of EVENTIDE_PASSES) {
    const result = outcome.eventide.get(name);
    assert.equal(result?.status, 'PASS', `eventide: ${name}: ${result?.status ?? 'did not run'} ${result?.message ?? ''}`);
  }
  assert.deepEqual([...eventide].filter((name) => !EVENTIDE_PASSES.includes(name)), [], 'tests passing that the list does not name (update expectations.ts)');

  const unexplained = [...native].filter((name) => !eventide.has(name) && !(name in EVENTIDE_CANNOT));
  assert.deepEqual(unexplained, [], 'tests Chromium passes that eventide fails, without an explanation');
  for (const name of Object.keys(CHROMIUM_FAILS)) assert.ok(eventide.has(name), `eventide passes ${name}`);
});

test('beyond WPT: request headers identical to Chromium\'s EventSource, cross-origin failures as in Chromium, preflight for extra headers', { skip, timeout: 180_000 }, async () => {
  const all = await run();
  const extras = [...all.eventide].filter(([name]) => name.startsWith(EXTRA));
  assert.ok(extras.length >= 7, `${extras.length} extra tests ran`);
  for (const [name, result] of extras) assert.equal(result.status, 'PASS', `eventide: ${name}: ${result.status} ${result.message ?? ''}`);
  for (const [name, result] of all.native) {
    if (!name.startsWith(EXTRA)) continue;
    assert.equal(result.status, 'PASS', `Chromium: ${name}: ${result.status} ${result.message ?? ''}`);
    if (!name.startsWith(`${EXTRA}request-headers`)) continue;
    // Same names and values, first request and reconnect (the order of lines may differ).
    const native = headerSets(result.note);
    assert.equal(native.length, 2);
    assert.deepEqual(headerSets(all.eventide.get(name)?.note), native, `request headers: ${name}`);
  }
});
