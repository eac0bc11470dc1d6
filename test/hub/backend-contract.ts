// The contract every HubBackend fulfils, as one test body run against each implementation
// (memory here, Redis Streams in test/redis). Ids are opaque: compared with backend.compareIds only.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { EventRecord, HistoryLimits, HubBackend, StoredEvent } from '../../src/hub/index.js';
import { waitFor, type BackendFactory } from './helpers.js';

const KEEP: HistoryLimits = { maxEvents: 1000, maxAgeMs: 3_600_000 };

let unique = 0;
/** A channel name no other test (or earlier run against a shared server) has used. */
function channel(name: string): string {
  return `contract-${name}-${process.pid}-${Date.now()}-${unique++}`;
}

function record(data: string, extra: Partial<EventRecord> = {}): EventRecord {
  return { data, json: false, ...extra };
}

export function describeBackendContract(name: string, makeBackend: BackendFactory): void {
  describe(`HubBackend contract: ${name}`, () => {
    let backend: HubBackend;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ backend, cleanup } = await makeBackend());
    });
    afterEach(async () => {
      await cleanup();
    });

    async function appendAll(ch: string, count: number, limits = KEEP): Promise<StoredEvent[]> {
      const out: StoredEvent[] = [];
      for (let i = 0; i < count; i++) out.push(await backend.append(ch, record(`e${i}`), limits));
      return out;
    }

    it('assigns increasing, valid, wire-safe ids without commas', async () => {
      const ch = channel('ids');
      const events = await appendAll(ch, 5);
      for (const event of events) {
        assert.equal(backend.isValidId(event.id), true, `isValidId(${event.id})`);
        assert.doesNotMatch(event.id, /[\r\n\0,]/);
        assert.ok(event.id.length > 0);
      }
      for (let i = 1; i < events.length; i++) {
        assert.ok(backend.compareIds(events[i - 1].id, events[i].id) < 0, 'ids increase');
        assert.ok(backend.compareIds(events[i].id, events[i - 1].id) > 0, 'compareIds is antisymmetric');
      }
      assert.equal(backend.compareIds(events[2].id, events[2].id), 0);
      assert.equal(backend.isValidId(backend.zeroId), true);
      assert.ok(backend.compareIds(backend.zeroId, events[0].id) < 0, 'zeroId is before every id');
    });

    it('stores the record as given, with its channel and a time', async () => {
      const ch = channel('fields');
      const before = Date.now();
      const stored = await backend.append(ch, { data: '{"a":[1,2]}', json: true, type: 'tick', retry: 250 }, KEEP);
      assert.equal(stored.channel, ch);
      assert.equal(stored.data, '{"a":[1,2]}');
      assert.equal(stored.json, true);
      assert.equal(stored.type, 'tick');
      assert.equal(stored.retry, 250);
      assert.equal(typeof stored.time, 'number');
      const plain = await backend.append(ch, record('line 1\nline 2'), KEEP);
      assert.equal(plain.type, undefined);
      assert.equal(plain.retry, undefined);
      const { events } = await backend.readAfter(ch, stored.id);
      assert.equal(events.length, 1);
      assert.equal(events[0].id, plain.id);
      assert.equal(events[0].data, 'line 1\nline 2');
      assert.equal(events[0].json, false);
      const [again] = (await backend.readAfter(ch, backend.zeroId)).events;
      assert.deepEqual(
        { data: again.data, json: again.json, type: again.type, retry: again.retry, channel: again.channel },
        { data: stored.data, json: true, type: 'tick', retry: 250, channel: ch },
      );
      assert.ok(again.time >= before - 60_000, 'time is in milliseconds since the epoch');
    });

    it('readAfter(undefined) gives the head and no events', async () => {
      const ch = channel('head');
      const events = await appendAll(ch, 3);
      const read = await backend.readAfter(ch, undefined);
      assert.deepEqual(read.events, []);
      assert.equal(read.complete, true);
      assert.equal(backend.compareIds(read.head, events[2].id), 0);
    });

    it('readAfter(id) returns the retained events after it, in order, and completes at the head', async () => {
      const ch = channel('after');
      const events = await appendAll(ch, 6);
      const read = await backend.readAfter(ch, events[1].id);
      assert.equal(read.complete, true);
      assert.deepEqual(read.events.map((e) => e.id), events.slice(2).map((e) => e.id));
      assert.deepEqual(read.events.map((e) => e.data), ['e2', 'e3', 'e4', 'e5']);
      const atHead = await backend.readAfter(ch, events[5].id);
      assert.equal(atHead.complete, true);
      assert.deepEqual(atHead.events, []);
    });

    it('the head of an empty channel is a position later events follow, read completely', async () => {
      const ch = channel('empty');
      const { head, complete, events } = await backend.readAfter(ch, undefined);
      assert.equal(complete, true);
      assert.deepEqual(events, []);
      assert.equal(backend.isValidId(head), true);
      const first = await backend.append(ch, record('first'), KEEP);
      assert.ok(backend.compareIds(head, first.id) < 0);
      const read = await backend.readAfter(ch, head);
      assert.equal(read.complete, true);
      assert.deepEqual(read.events.map((e) => e.data), ['first']);
    });

    it('keeps channels apart', async () => {
      const a = channel('a');
      const b = channel('b');
      await backend.append(a, record('a1'), KEEP);
      const b1 = await backend.append(b, record('b1'), KEEP);
      await backend.append(a, record('a2'), KEEP);
      const read = await backend.readAfter(a, backend.zeroId);
      assert.deepEqual(read.events.map((e) => e.data), ['a1', 'a2']);
      assert.ok(read.events.every((e) => e.channel === a));
      assert.deepEqual((await backend.readAfter(b, backend.zeroId)).events.map((e) => e.id), [b1.id]);
    });

    it('trims by count and reports reads that reach before the retained history as incomplete', async () => {
      const ch = channel('trim');
      const limits = { maxEvents: 3, maxAgeMs: 3_600_000 };
      const events = await appendAll(ch, 6, limits);
      const fromOld = await backend.readAfter(ch, events[0].id);
      assert.equal(fromOld.complete, false, 'events 1 and 2 are gone');
      const fromEdge = await backend.readAfter(ch, events[2].id);
      assert.equal(fromEdge.complete, true, 'nothing after event 2 was dropped');
      assert.deepEqual(fromEdge.events.map((e) => e.data), ['e3', 'e4', 'e5']);
      assert.equal(backend.compareIds(fromEdge.head, events[5].id), 0);
    });

    it('readAfter with a limit gives the oldest events after the id (or, if ignored, all of them), same head and completeness', async () => {
      const ch = channel('limit');
      const events = await appendAll(ch, 10);
      const all = events.slice(1).map((e) => e.data);
      const sliced = await backend.readAfter(ch, events[0].id, 3);
      assert.equal(sliced.complete, true);
      assert.equal(backend.compareIds(sliced.head, events[9].id), 0);
      const got = sliced.events.map((e) => e.data);
      assert.ok(got.length === 3 ? true : got.length === all.length, `a slice of 3 or everything (${got.length})`);
      assert.deepEqual(got, all.slice(0, got.length), 'the oldest first');
      const atHead = await backend.readAfter(ch, events[9].id, 3);
      assert.deepEqual([atHead.events.length, atHead.complete], [0, true]);

      // At the trimmed edge: incomplete, and the slice starts at the oldest event still retained.
      const short = channel('limit-trim');
      const limits = { maxEvents: 4, maxAgeMs: 3_600_000 };
      const kept = await appendAll(short, 12, limits);
      const edge = await backend.readAfter(short, kept[0].id, 2);
      assert.equal(edge.complete, false, 'events after the id were trimmed');
      const edgeData = edge.events.map((e) => e.data);
      assert.deepEqual(edgeData, ['e8', 'e9', 'e10', 'e11'].slice(0, edgeData.length));
      assert.ok(edgeData.length === 2 || edgeData.length === 4, `a slice of 2 or every retained event (${edgeData.length})`);
    });

    it('with maxEvents 0 keeps nothing yet resumes exactly from the head', async () => {
      const ch = channel('none');
      const limits = { maxEvents: 0, maxAgeMs: 3_600_000 };
      const events = await appendAll(ch, 3, limits);
      const atHead = await backend.readAfter(ch, events[2].id);
      assert.equal(atHead.complete, true);
      assert.deepEqual(atHead.events, []);
      assert.equal((await backend.readAfter(ch, events[1].id)).complete, false);
    });

    it('answers malformed and hostile ids with an incomplete read, never a throw', async () => {
      const ch = channel('hostile');
      await appendAll(ch, 2);
      for (const id of ['', 'abc', '1\n2', '\0', '-1', 'x'.repeat(100_000), '1,2', '__proto__', ' 1', '1e3']) {
        if (backend.isValidId(id)) continue; // an id this backend could have issued is not hostile
        const read = await backend.readAfter(ch, id);
        assert.equal(read.complete, false, `readAfter(${JSON.stringify(id.slice(0, 20))})`);
        assert.deepEqual(read.events, []);
      }
    });

    it('reports an id beyond the head as incomplete', async () => {
      const a = channel('ahead-a');
      const b = channel('ahead-b');
      await appendAll(a, 1);
      const later = await appendAll(b, 3);
      // b's newest id is a valid id past a's head: a client claiming it for a is confused.
      const read = await backend.readAfter(a, later[2].id);
      assert.equal(read.complete, false);
    });

    it('follow delivers every later event once, in order, until stopped', async () => {
      const ch = channel('follow');
      const { head } = await backend.readAfter(ch, undefined);
      const got: StoredEvent[] = [];
      const stop = backend.follow(ch, head, (e) => got.push(e));
      const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => backend.append(ch, record(`f${i}`), KEEP)));
      await waitFor(() => got.length >= 40, 'all 40 events to be followed');
      const sortedSent = [...sent].sort((x, y) => backend.compareIds(x.id, y.id));
      assert.deepEqual(got.map((e) => e.id), sortedSent.map((e) => e.id));
      stop();
      await backend.append(ch, record('after stop'), KEEP);
      const marker = channel('marker');
      // Give a live follower every chance to deliver: a second follower on another channel must see its event.
      const markerGot: StoredEvent[] = [];
      const stopMarker = backend.follow(marker, (await backend.readAfter(marker, undefined)).head, (e) => markerGot.push(e));
      await backend.append(marker, record('m'), KEEP);
      await waitFor(() => markerGot.length === 1, 'the marker event');
      stopMarker();
      assert.equal(got.length, 40, 'nothing is delivered after stop');
    });

    it('follow from an older id catches up on retained events, then goes live', async () => {
      const ch = channel('catchup');
      const events = await appendAll(ch, 4);
      const got: string[] = [];
      const stop = backend.follow(ch, events[1].id, (e) => got.push(e.data));
      await backend.append(ch, record('live'), KEEP);
      await waitFor(() => got.length >= 3, 'catch-up and live events');
      assert.deepEqual(got, ['e2', 'e3', 'live']);
      stop();
    });

    it('several followers of one channel each get the whole sequence', async () => {
      const ch = channel('fan');
      const { head } = await backend.readAfter(ch, undefined);
      const lists: string[][] = [[], [], []];
      const stops = lists.map((list) => backend.follow(ch, head, (e) => list.push(e.data)));
      for (let i = 0; i < 10; i++) await backend.append(ch, record(`x${i}`), KEEP);
      await waitFor(() => lists.every((l) => l.length >= 10), 'each follower to get 10 events');
      for (const list of lists) assert.deepEqual(list, Array.from({ length: 10 }, (_, i) => `x${i}`));
      stops.forEach((stop) => stop());
    });
  });
}
