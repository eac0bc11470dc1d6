// Resume after Last-Event-ID: replay then live with no gap and no duplicate, several channels on
// one stream, trimmed history and hostile ids answered with the gap signal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GAP_EVENT_TYPE, isAnchor, type GapSignalData, type Hub } from '../../../src/hub/index.js';
import { collect, live, positionsOf, waitFor, type Collector } from '../helpers.js';
import type { HubTestContext } from './context.js';

async function publishMany(hub: Hub, channel: string, count: number, prefix = 'e'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await hub.publish(channel, { data: `${prefix}${i}` }));
  return ids;
}

function realIds(c: Collector): string[] {
  return c.events.filter((e) => e.channel !== undefined).map((e) => e.id);
}

export function resume(t: HubTestContext): void {
  describe('resume after Last-Event-ID', () => {
    it('replays what came after lastEventId, then goes live', async () => {
      const hub = await t.hub();
      const ch = t.channel('resume');
      const ids = await publishMany(hub, ch, 10);
      const sub = collect(hub.subscribe(ch, { lastEventId: ids[3] }));
      await waitFor(() => sub.events.length === 6, 'the replay');
      assert.deepEqual(sub.data(), ['e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
      assert.deepEqual(realIds(sub), ids.slice(4));
      const next = await hub.publish(ch, { data: 'live' });
      await waitFor(() => sub.events.length === 7, 'the live event');
      assert.equal(sub.last()?.id, next);
    });

    it('hands over from replay to live with no gap and no duplicate while publishing goes on', async () => {
      const hub = await t.hub();
      const rounds = Math.max(4, Math.round(20 * t.scale));
      for (let round = 0; round < rounds; round++) {
        const ch = t.channel(`handoff${round}`);
        const published = await publishMany(hub, ch, 20, 'pre');
        const total = 20 + 80;
        let stop = false;
        // A publisher with several publishes in flight at once, running while subscribers join.
        const publisher = (async () => {
          for (let i = 0; i < 80 && !stop; i += 4) {
            const batch = await Promise.all([0, 1, 2, 3].map((k) => hub.publish(ch, { data: `live${i + k}` })));
            published.push(...batch);
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        const subs: { from: number; sub: Collector }[] = [];
        for (let k = 0; k < 6; k++) {
          const from = Math.floor(Math.random() * published.length);
          subs.push({ from, sub: collect(hub.subscribe(ch, { lastEventId: published[from] })) });
          await new Promise((resolve) => setImmediate(resolve));
        }
        await publisher;
        stop = true;
        const sorted = [...published].sort((a, b) => hub.backend.compareIds(a, b));
        assert.deepEqual(sorted, published, 'ids are in publication order');
        assert.equal(published.length, total);
        for (const { from, sub } of subs) {
          await waitFor(() => sub.last()?.id === published.at(-1), `round ${round}: subscriber from ${from} to reach the end`);
          assert.ok(sub.events.every((e) => e.type !== GAP_EVENT_TYPE), 'no gap signal');
          assert.deepEqual(realIds(sub), published.slice(from + 1), `round ${round}: subscriber from ${from}`);
        }
        subs.forEach(({ sub }) => sub.subscription.unsubscribe());
      }
    });

    it('sends a long replay in slices across event-loop turns, still handing over exactly', async () => {
      const hub = await t.hub();
      const ch = t.channel('long');
      const big = 'y'.repeat(2048);
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) ids.push(await hub.publish(ch, { data: `${i}:${big}` }));
      const sub = collect(hub.subscribe(ch, { lastEventId: ids[4] }));
      // Watch the replay from other turns of the event loop while publishing goes on.
      const partial = new Set<number>();
      let watching = true;
      const watch = () => {
        const n = sub.events.length;
        if (n > 0 && n < 195) partial.add(n);
        if (watching) setImmediate(watch);
      };
      setImmediate(watch);
      for (let i = 200; i < 260; i++) ids.push(await hub.publish(ch, { data: `${i}:${big}` }));
      await waitFor(() => sub.last()?.id === ids.at(-1), 'the replay and the live events');
      watching = false;
      assert.deepEqual(realIds(sub), ids.slice(5));
      // On the fast path pacing follows the connection's ready() instead (test/hub/fast-path.test.ts).
      if (!t.frames) assert.ok(partial.size >= 2, `the 390 KB replay was spread over turns (seen partially at ${[...partial].join(', ')})`);
    });

    it('resumes every channel of a multi-channel stream exactly', async () => {
      const hub = await t.hub();
      const a = t.channel('multi-a');
      const b = t.channel('multi-b');
      const c = t.channel('multi-c');
      await publishMany(hub, a, 3, 'old-a');
      const first = await live(collect(hub.subscribe([b, a, c])));
      const anchor = first.events[0];
      assert.ok(isAnchor(anchor));
      assert.equal(positionsOf(anchor.id).length, 3, 'one position per channel');
      for (let i = 0; i < 4; i++) {
        await hub.publish(a, { data: `a${i}` });
        await hub.publish(b, { data: `b${i}` });
      }
      await waitFor(() => first.data().length === 8, 'eight events');
      // The client "disconnects" after the fifth event and the others keep coming.
      const seen = first.events.filter((e) => !isAnchor(e)).slice(0, 5);
      first.subscription.unsubscribe();
      const lastSeen = seen[4].id;
      for (let i = 4; i < 6; i++) {
        await hub.publish(c, { data: `c${i}` });
        await hub.publish(a, { data: `a${i}` });
      }
      const again = collect(hub.subscribe([a, b, c], { lastEventId: lastSeen }));
      await waitFor(() => again.data().length === 7, 'the missed events');
      const byChannel = (list: { channel?: string; data: unknown }[], ch: string) => list.filter((e) => e.channel === ch).map((e) => e.data);
      const all = [...seen, ...again.events];
      assert.deepEqual(byChannel(all, a), ['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
      assert.deepEqual(byChannel(all, b), ['b0', 'b1', 'b2', 'b3']);
      assert.deepEqual(byChannel(all, c), ['c4', 'c5']);
      assert.ok(again.events.every((e) => e.type !== GAP_EVENT_TYPE));
      // Each id carries the stream's position: the last one names the newest event of each channel.
      const heads = await Promise.all([a, b, c].map(async (ch) => (await hub.backend.readAfter(ch, undefined)).head));
      assert.deepEqual(positionsOf(again.last()!.id), heads);
    });

    it('refuses to apply a multi-channel id to another set of channels (gap signal)', async () => {
      const hub = await t.hub();
      const [a, b, c] = ['set-a', 'set-b', 'set-c'].map((n) => t.channel(n));
      const sub = await live(collect(hub.subscribe([a, b])));
      const other = collect(hub.subscribe([a, c], { lastEventId: sub.events[0].id }));
      await waitFor(() => other.events.length > 0, 'the gap signal');
      assert.equal(other.events[0].type, GAP_EVENT_TYPE);
      assert.deepEqual((other.events[0].data as GapSignalData).channels, [a, c].sort());
    });

    it('signals a gap when the history was trimmed, then continues live from the head', async () => {
      const hub = await t.hub({ history: { maxEvents: 5 } });
      const ch = t.channel('trimmed');
      const ids = await publishMany(hub, ch, 20);
      const sub = collect(hub.subscribe(ch, { lastEventId: ids[3] }));
      await waitFor(() => sub.events.length > 0, 'the gap signal');
      const gap = sub.events[0];
      assert.equal(gap.type, GAP_EVENT_TYPE);
      assert.deepEqual(gap.data, { channels: [ch], lastEventId: ids[3] });
      assert.equal(gap.id, ids[19], 'the signal carries the current position');
      const next = await hub.publish(ch, { data: 'after' });
      await waitFor(() => sub.events.length === 2, 'the live event');
      assert.deepEqual(realIds(sub), [next], 'the retained tail is not replayed after a gap: the app reloads');
      // The retained edge itself is still a complete resume.
      const edge = collect(hub.subscribe(ch, { lastEventId: ids[15] }));
      await waitFor(() => edge.events.length === 5, 'the retained events');
      assert.deepEqual(realIds(edge), [...ids.slice(16), next]);
      // A multi-channel stream signals only the channel that lost events and replays the other.
      const other = t.channel('trimmed-other');
      const otherIds = await publishMany(hub, other, 2);
      const multi = await live(collect(hub.subscribe([ch, other])));
      const position = positionsOf(multi.events[0].id);
      const sorted = [ch, other].sort();
      const forged = [multi.events[0].id.split(',')[0], ...sorted.map((name) => (name === ch ? ids[0] : otherIds[0]))].join(',');
      const resumed = collect(hub.subscribe([ch, other], { lastEventId: forged }));
      await waitFor(() => resumed.events.length === 2, 'gap then the replay of the other channel');
      assert.equal(resumed.events[0].type, GAP_EVENT_TYPE);
      assert.deepEqual((resumed.events[0].data as GapSignalData).channels, [ch]);
      assert.deepEqual(resumed.data(), ['e1']);
      assert.deepEqual(positionsOf(resumed.events[1].id), position);
    });

    it('answers hostile lastEventId values with the gap signal, never a throw, and stays live', async () => {
      const hub = await t.hub();
      const ch = t.channel('hostile');
      const ids = await publishMany(hub, ch, 3);
      const hostile: unknown[] = [
        'abc', '\u0000', 'a\nb', '-1', '1e5', '9'.repeat(40), ' 1', '__proto__', 'constructor', ',,,', 'tag,1,2',
        'x'.repeat(1_000_000), '\u{1F600}'.repeat(1000), 42, {}, [ids[0]], true,
      ];
      for (const lastEventId of hostile) {
        const sub = collect(hub.subscribe(ch, { lastEventId: lastEventId as string }));
        await waitFor(() => sub.events.length > 0 || sub.error !== undefined, 'the gap signal');
        assert.equal(sub.error, undefined);
        const gap = sub.events[0];
        assert.equal(gap.type, GAP_EVENT_TYPE, `for ${String(lastEventId).slice(0, 20)}`);
        const echoed = (gap.data as GapSignalData).lastEventId;
        assert.ok(echoed === null || echoed.length <= 201, 'a hostile id is never echoed in full');
        assert.equal(gap.id, ids[2]);
        sub.subscription.unsubscribe();
      }
      const order = [ch, t.channel('hostile-2')].sort();
      const multi = collect(hub.subscribe(order, { lastEventId: 'x'.repeat(5000) }));
      await waitFor(() => multi.events.length > 0, 'the multi-channel gap signal');
      assert.equal(multi.events[0].type, GAP_EVENT_TYPE);
      const next = await hub.publish(ch, { data: 'still live' });
      await waitFor(() => multi.events.length === 2, 'the live event');
      assert.equal(positionsOf(multi.last()!.id)[order.indexOf(ch)], next);
    });
  });
}
