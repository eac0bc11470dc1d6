// Encode once: however many subscribers (single-channel, multi-channel, resuming, filtered) carry
// an event, its data is serialized once per process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { filter } from 'rxjs';
import { encodeCounter, frameOf } from '../../../src/protocol/frames.js';
import type { HubEvent } from '../../../src/hub/index.js';
import { collect, live, waitFor, type Collector } from '../helpers.js';
import type { HubTestContext } from './context.js';

export function fanout(t: HubTestContext): void {
  describe('fan-out', () => {
    it('encodes each event once, not once per subscriber', async () => {
      const hub = await t.hub();
      const a = t.channel('fan-a');
      const b = t.channel('fan-b');
      const events = 40;
      const singles: Collector[] = [];
      for (let i = 0; i < 12; i++) singles.push(await live(collect(hub.subscribe(a))));
      const multis: Collector[] = [];
      for (let i = 0; i < 4; i++) multis.push(await live(collect(hub.subscribe([a, b]))));
      const odd = collect(hub.subscribe(a).pipe(filter((e: HubEvent) => typeof e.data === 'object' && e.data !== null && (e.data as { n: number }).n % 2 === 1)));
      await live(collect(hub.subscribe(a))); // one more feed user, so the channel stays followed

      // Anchors are framed already: writing them costs no encode.
      const before = encodeCounter.count;
      for (const c of [...singles, ...multis]) for (const e of c.events) frameOf(e);
      assert.equal(encodeCounter.count, before);

      const ids: string[] = [];
      for (let n = 0; n < events; n++) ids.push(await hub.publish(n % 4 === 0 ? b : a, { data: { n, text: 'x'.repeat(100) } }));
      const onA = ids.filter((_, n) => n % 4 !== 0).length;
      // Two late joiners resume from the first event: their replay reuses the encodings too.
      const resumers = [collect(hub.subscribe(a, { lastEventId: ids[1] })), collect(hub.subscribe([a, b], { lastEventId: undefined }))];
      await waitFor(
        () => singles.every((c) => c.data().length === onA) && multis.every((c) => c.data().length === events) && resumers[0].data().length === onA - 1,
        'every subscriber to get every event',
      );
      const start = encodeCounter.count;
      let frames = 0;
      for (const c of [...singles, ...multis, odd, ...resumers]) {
        for (const e of c.events) {
          const frame = frameOf(e);
          if (e.channel !== undefined) assert.ok(frame.length > 100, 'a full frame');
          frames++;
        }
      }
      // Encoding happened when the events were prepared, once each: frameOf adds nothing.
      assert.equal(encodeCounter.count, start, 'writing frames re-encodes nothing');
      assert.ok(frames >= 12 * onA + 4 * events, `every subscriber's frames written (${frames})`);
      const all = encodeCounter.count;
      assert.ok(all - before <= events, `at most one encode per event (${all - before} for ${events} events)`);
      assert.ok(all - before >= events, 'every event was encoded');
      // The filter passes the shared objects through unchanged.
      assert.deepEqual(odd.events.filter((e) => e.channel !== undefined).map((e) => (e.data as { n: number }).n), [...Array(events).keys()].filter((n) => n % 4 !== 0 && n % 2 === 1));
      const shared = singles.map((c) => c.events.find((e) => (e.data as { n?: number }).n === 1));
      assert.ok(shared.every((e) => e === shared[0]), 'single-channel subscribers share one event object');
      assert.ok(odd.events.includes(shared[0]!));
      // Multi-channel streams at the same positions carry the same id: they share one object too.
      const multiShared = multis.map((c) => c.events.find((e) => (e.data as { n?: number }).n === 1));
      assert.ok(multiShared.every((e) => e !== undefined && e === multiShared[0]), 'in-sync multi-channel subscribers share one event object');
    });
  });
}
