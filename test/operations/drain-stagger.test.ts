// The drain's stagger on its own: streams end spread over withinMs, and a stalled event loop
// catches up at a bounded pace (never more than 1.5x the nominal share in any 100 ms span)
// instead of ending everything that fell due in one burst.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SseConnection } from '../../src/connection/connection.js';
import { resolveDrain, staggerEnds } from '../../src/operations/drain.js';

function fakeStreams(n: number): { streams: SseConnection[]; ends: number[]; retries: number[]; all: Promise<void> } {
  const ends: number[] = [];
  const retries: number[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const streams = Array.from({ length: n }, () => ({
    endWithRetry(retryMs: number) {
      ends.push(performance.now());
      retries.push(retryMs);
      if (ends.length === n) done();
    },
  })) as unknown as SseConnection[];
  return { streams, ends, retries, all };
}

/** The most ends in any span of `spanMs` (a sliding window over the end times). */
function busiestSpan(ends: readonly number[], spanMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < ends.length; i++) {
    while (ends[i]! - ends[j]! >= spanMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a stalled event loop
  }
}

test('a stalled event loop catches up at most 1.5x the nominal pace per 100 ms, and every stream ends', async () => {
  const n = 1000;
  const withinMs = 2000; // nominal: 50 ends per 100 ms
  const { streams, ends, retries, all } = fakeStreams(n);
  const started = performance.now();
  const endRest = staggerEnds(streams, resolveDrain('test', { withinMs, retryMs: 1000 }));
  // Two stalls of 400 ms while the drain runs.
  setTimeout(() => blockFor(400), 300);
  setTimeout(() => blockFor(400), 1200);
  await all;
  endRest();
  const busiest = busiestSpan(ends, 100);
  const tookMs = performance.now() - started;
  console.log(`# stagger: ${n} ends in ${tookMs.toFixed(0)} ms, busiest 100 ms span ${busiest} (nominal 50, limit 75)`);
  assert.equal(ends.length, n, 'every stream ended exactly once');
  assert.ok(busiest <= 75, `busiest 100 ms span ended ${busiest} streams; at most 1.5 x 50`);
  // It catches up: 800 ms of stalls are made up at 1.5x pace, so well before twice withinMs.
  assert.ok(tookMs < 2 * withinMs, `the drain took ${tookMs.toFixed(0)} ms`);
  for (const retry of retries) assert.ok(retry >= 1000 && retry <= 1000 + withinMs / n + 1, `retry ${retry}`);
});

test('without stalls the ends follow the nominal spacing; endRest ends whatever is left at once', async () => {
  const n = 200;
  const { streams, ends } = fakeStreams(n);
  const endRest = staggerEnds(streams, resolveDrain('test', { withinMs: 1000, retryMs: 500 }));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const halfway = ends.length;
  endRest();
  assert.equal(ends.length, n, 'endRest ended the rest');
  // Half the time gone: about half the streams (timers may run late on a busy machine, never early).
  assert.ok(halfway >= 60 && halfway <= 115, `${halfway} of ${n} ended after half of withinMs`);
  endRest();
  assert.equal(ends.length, n, 'a second endRest ends nothing twice');
});
