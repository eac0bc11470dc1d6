// The drain's stagger on its own: streams end spread over withinMs, and a stalled event loop
// catches up at a bounded pace (never more than 1.5x the nominal share in any 100 ms span)
// instead of ending everything that fell due in one burst.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SseConnection } from '../../src/connection/connection.js';
import { jitterFor, resolveDrain, retryFor, staggerEnds } from '../../src/operations/drain.js';

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
  // The default jitter: 300 ms here (the spacing, 2 ms, is less than that; retryMs / 2 is more).
  for (const retry of retries) assert.ok(retry >= 1000 && retry <= 1300, `retry ${retry}`);
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

test('the default jitter: at least 300 ms, the spacing when that is more, at most half of retryMs; an explicit one is kept', () => {
  assert.equal(jitterFor(resolveDrain('t', { withinMs: 5000, retryMs: 1000 }), 1000), 300);
  assert.equal(jitterFor(resolveDrain('t', { withinMs: 5000, retryMs: 1000 }), 10), 500);
  assert.equal(jitterFor(resolveDrain('t', { withinMs: 5000, retryMs: 400 }), 1000), 200);
  assert.equal(jitterFor(resolveDrain('t', { withinMs: 5000, retryMs: 1000, jitterMs: 0 }), 1000), 0);
});

/** Counts of `times` per `windowMs` window from the first. */
function perWindow(times: number[], windowMs: number): number[] {
  const from = Math.min(...times);
  const counts: number[] = [];
  for (const t of times) {
    const w = Math.floor((t - from) / windowMs);
    while (counts.length <= w) counts.push(0);
    counts[w]!++;
  }
  return counts;
}

test('streams ended together reconnect spread evenly over the jitter; ends on time keep an even reconnect rate', () => {
  const retryMs = 1000;
  const jitter = 300;
  // A stalled event loop (or client) made 60 consecutive ends happen at one instant: their
  // reconnects come back over 300 ms, about 20 per 100 ms, not 60 at once.
  for (const first of [0, 17, 500]) {
    const reconnects = Array.from({ length: 60 }, (_, k) => retryFor(first + k, retryMs, jitter));
    for (const r of reconnects) assert.ok(r >= retryMs && r <= retryMs + jitter);
    const counts = perWindow(reconnects, 100);
    assert.ok(Math.max(...counts) <= 22, `60 streams ended together came back ${counts.join('/')} per 100 ms`);
  }
  // 1,000 streams ended on time over 5 s (one every 5 ms): 20 reconnects per 100 ms, evenly.
  const onTime = Array.from({ length: 1000 }, (_, i) => (i + 0.5) * 5 + retryFor(i, retryMs, jitter));
  const counts = perWindow(onTime, 100).slice(3, -3); // the ramps at both ends take one jitter
  assert.ok(Math.max(...counts) <= 23 && Math.min(...counts) >= 17, `on-time ends came back ${counts.join('/')} per 100 ms`);
});
