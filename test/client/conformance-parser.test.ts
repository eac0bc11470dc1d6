// The conformance corpus at the parser level, where chunk boundaries are exact: each fixture as
// given, then cut at every byte position, then one byte per chunk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from '../../src/protocol/parse.js';
import { allBytes, chunkBytes, loadFixtures, type ExpectedEvent, type Fixture } from './conformance/fixtures.js';

function run(fixture: Fixture, chunks: Uint8Array[]): { events: ExpectedEvent[]; retries: number[] } {
  const events: ExpectedEvent[] = [];
  const retries: number[] = [];
  const listened = new Set(['message', ...(fixture.listen ?? [])]);
  const parser = createParser({
    onEvent: ({ type, data, lastEventId }) => {
      // What an EventSource delivers: unnamed events, and named ones somebody listens to.
      if (listened.has(type)) events.push({ type, data, lastEventId });
    },
    onRetry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { events, retries };
}

const fixtures = loadFixtures();

test('the corpus is there', () => {
  assert.ok(fixtures.length >= 40, `expected the conformance corpus, found ${fixtures.length} fixtures`);
});

for (const fixture of fixtures) {
  test(`parser: ${fixture.name}`, () => {
    const expected = { events: fixture.events, retries: fixture.retries ?? [] };
    const asGiven = run(fixture, fixture.chunks.map(chunkBytes));
    assert.deepEqual(asGiven.events, expected.events, fixture.description);
    if (fixture.retries) assert.deepEqual(asGiven.retries, expected.retries);

    const bytes = allBytes(fixture);
    const byteByByte = run(fixture, Array.from(bytes, (byte) => Uint8Array.of(byte)));
    assert.deepEqual(byteByByte.events, expected.events, `${fixture.name}, one byte per chunk`);

    // Every two-chunk cut (the long fixtures are covered by the byte-by-byte run above).
    if (bytes.length <= 2048) {
      for (let cut = 0; cut <= bytes.length; cut += 1) {
        const split = run(fixture, [bytes.subarray(0, cut), bytes.subarray(cut)]);
        assert.deepEqual(split.events, expected.events, `${fixture.name}, cut at byte ${cut}`);
        if (fixture.retries) assert.deepEqual(split.retries, expected.retries, `${fixture.name}, cut at byte ${cut}`);
      }
    }
  });
}
