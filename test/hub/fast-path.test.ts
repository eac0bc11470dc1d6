// The connection fast path of `hub.subscribe()`: what a connection receives through
// `[FRAME_SOURCE]()` (frames, parsed back as a client would), live bursts batched into one shared
// write per turn, encode-once whatever the subscriber count, the catch-up-to-live handoff inside a
// batch, and catch-up backpressure through `sink.ready()`.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { filter } from 'rxjs';
import { encodeCounter } from '../../src/protocol/frames.js';
import { FRAME_SOURCE, type StreamSource } from '../../src/sources/types.js';
import { Hub, createMemoryBackend, isAnchor, type HubBackend, type HubEvent, type StoredEvent } from '../../src/hub/index.js';
import { redisBackend } from '../../src/redis/index.js';
import { deleteKeys, REDIS_URL, skipUnlessRedis, uniquePrefix } from '../redis/helpers.js';
import { frameSourceOf, RecordingSink } from './frame-sink.js';
import { collect, live, waitFor } from './helpers.js';

/** A fast-path subscriber: its source and the sink standing in for its connection. */
interface Direct {
  source: StreamSource;
  sink: RecordingSink;
}

function direct(hub: Hub, channels: string | string[], lastEventId?: string): Direct {
  const source = frameSourceOf(hub.subscribe(channels, { lastEventId }));
  const sink = new RecordingSink(channels, lastEventId);
  source.start(sink);
  return { source, sink };
}

function real(sink: RecordingSink): HubEvent[] {
  return sink.events.filter((e) => !isAnchor(e));
}

async function started(d: Direct): Promise<Direct> {
  await waitFor(() => d.sink.events.length > 0 || d.sink.failure !== undefined, 'the stream to start');
  if (d.sink.failure !== undefined) throw d.sink.failure;
  return d;
}

/**
 * Memory behind a valve: live deliveries wait until `release()`, then all arrive in one go, as
 * when one network read brings many entries; reads and appends are immediate.
 */
function valved(inner: HubBackend): HubBackend & { release(): void } {
  let held: (() => void)[] = [];
  return {
    zeroId: inner.zeroId,
    compareIds: (a, b) => inner.compareIds(a, b),
    isValidId: (id) => inner.isValidId(id),
    append: (channel, record, limits) => inner.append(channel, record, limits),
    readAfter: (channel, after) => inner.readAfter(channel, after),
    follow(channel, after, onEvent, onError) {
      let stopped = false;
      const stop = inner.follow(channel, after, (event: StoredEvent) => held.push(() => !stopped && onEvent(event)), onError);
      return () => {
        stopped = true;
        stop();
      };
    },
    close: () => inner.close(),
    release() {
      const now = held;
      held = [];
      for (const deliver of now) deliver();
    },
  };
}

describe('hub fast path', () => {
  it('is offered by hub.subscribe() only, as a non-enumerable method; operators keep the usual path', async () => {
    const hub = new Hub();
    try {
      const observable = hub.subscribe('plain');
      assert.equal(typeof (observable as unknown as Record<symbol, unknown>)[FRAME_SOURCE], 'function');
      assert.equal(Object.prototype.propertyIsEnumerable.call(observable, FRAME_SOURCE), false);
      assert.ok(!Object.getOwnPropertySymbols({ ...observable }).includes(FRAME_SOURCE), 'spreading does not copy it');
      const piped = observable.pipe(filter(() => true));
      assert.equal((piped as unknown as Record<symbol, unknown>)[FRAME_SOURCE], undefined);
    } finally {
      await hub.close();
    }
  });

  it('delivers a burst of 200 publishes to each live subscriber in one shared write, encoding each event once', async () => {
    const hub = new Hub();
    try {
      const ch = 'burst';
      const subscribers: Direct[] = [];
      for (let i = 0; i < 50; i++) subscribers.push(await started(direct(hub, ch)));
      const observed = await live(collect(hub.subscribe(ch)));
      const writesBefore = subscribers.map((d) => d.sink.writes.length);
      const encodesBefore = encodeCounter.count;

      const published: Promise<string>[] = [];
      for (let n = 0; n < 200; n++) published.push(hub.publish(ch, { data: `e${n}` }));
      // The batch goes out in a microtask: before the connections' end-of-turn flush (an
      // immediate), so batching adds no turn of latency.
      const atTurnEnd = await new Promise<number[]>((resolve) => setImmediate(() => resolve(subscribers.map((d) => real(d.sink).length))));
      assert.deepEqual(atTurnEnd, subscribers.map(() => 200), 'the whole burst was written in the turn it was published');
      const ids = await Promise.all(published);

      for (const [k, d] of subscribers.entries()) {
        assert.equal(d.sink.writes.length - writesBefore[k], 1, 'one write for the burst');
        assert.deepEqual(real(d.sink).map((e) => [e.id, e.data]), ids.map((id, n) => [id, `e${n}`]));
      }
      const first = subscribers[0].sink.writes.at(-1);
      assert.ok(subscribers.every((d) => d.sink.writes.at(-1) === first), 'every subscriber writes the very same buffer');
      assert.equal(encodeCounter.count - encodesBefore, 200, 'one encode per event for 50 subscribers and an Observable');
      await waitFor(() => observed.data().length === 200, 'the Observable subscriber');
      assert.deepEqual(observed.data(), ids.map((_, n) => `e${n}`));

      // The same burst with a single subscriber costs the same encodes.
      for (const d of subscribers.slice(1)) d.source.stop();
      observed.subscription.unsubscribe();
      const again = encodeCounter.count;
      for (let n = 0; n < 200; n++) void hub.publish(ch, { data: `f${n}` });
      await waitFor(() => real(subscribers[0].sink).length === 400, 'the second burst');
      assert.equal(encodeCounter.count - again, 200);
      subscribers[0].source.stop();
      assert.equal(hub.activeChannels, 0, 'stopping the last source releases the feed');
    } finally {
      await hub.close();
    }
  });

  it('hands over inside a batch: a subscriber whose cursor falls within it gets only the events past it', async () => {
    const backend = valved(createMemoryBackend());
    const hub = new Hub({ backend });
    try {
      const ch = 'handoff';
      const pre = await hub.publish(ch, { data: 'pre' });
      const ahead = await started(direct(hub, ch));
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) ids.push(await hub.publish(ch, { data: `e${n}` }));
      // Joins after the first five were stored (it replays them) but before the feed delivered them.
      const late = direct(hub, ch, pre);
      await waitFor(() => real(late.sink).length === 5, 'the replay');
      const replayWrites = late.sink.writes.length;
      for (let n = 5; n < 10; n++) ids.push(await hub.publish(ch, { data: `e${n}` }));
      backend.release(); // e0..e9 reach the feed in one turn: one batch

      await waitFor(() => real(ahead.sink).length === 10 && real(late.sink).length === 10, 'both to reach e9');
      assert.deepEqual(real(late.sink).map((e) => e.id), ids, 'no gap, no duplicate');
      assert.deepEqual(real(ahead.sink).map((e) => e.id), ids);
      assert.equal(late.sink.writes.length - replayWrites, 5, 'per-event frames for the five past its cursor');
      assert.equal(ahead.sink.writes.length, 2, 'an anchor, then the batch as one write');
      assert.equal(backend.compareIds(pre, ids[0]) < 0, true);

      // From then on both take whole batches.
      for (let n = 10; n < 20; n++) ids.push(await hub.publish(ch, { data: `e${n}` }));
      backend.release();
      await waitFor(() => real(late.sink).length === 20, 'the next batch');
      assert.equal(late.sink.writes.length - replayWrites, 6);
      assert.equal(late.sink.writes.at(-1), ahead.sink.writes.at(-1), 'the shared batch');
      assert.deepEqual(real(late.sink).map((e) => e.id), ids);
    } finally {
      await hub.close();
    }
  });

  it('paces a long catch-up by sink.ready(), then goes live with nothing lost or repeated', async () => {
    const hub = new Hub({ history: { maxEvents: 1000 } });
    try {
      const ch = 'paced';
      const big = 'y'.repeat(2048);
      const ids: string[] = [];
      for (let n = 0; n < 300; n++) ids.push(await hub.publish(ch, { data: `${n}:${big}` }));
      const d = direct(hub, ch, ids[0]);
      // A connection whose socket is full: ready() withholds until the test "drains" it.
      d.sink.gate = true;
      await waitFor(() => d.sink.waits === 1, 'the catch-up to wait');
      assert.equal(d.sink.writes.length, 0, 'nothing written while the connection is not ready');
      // Live events published while it waits are held and follow the replay.
      for (let n = 300; n < 310; n++) ids.push(await hub.publish(ch, { data: `${n}:${big}` }));
      // From now on the "socket" fills after 32 KB; the test drains it whenever the catch-up waits.
      const budget = 32 * 1024;
      d.sink.budget = budget;
      let most = 0;
      while (real(d.sink).length < 309) {
        const waits = d.sink.waits;
        d.sink.release();
        await waitFor(() => d.sink.waits > waits || real(d.sink).length === 309, 'the catch-up to write and wait again');
        most = Math.max(most, d.sink.sinceRelease);
      }
      assert.ok(d.sink.waits >= 10, `the catch-up waited at every full socket (${d.sink.waits} waits)`);
      assert.ok(most <= budget + 2200, `never more than one event past the budget (${most} bytes)`);
      assert.deepEqual(real(d.sink).map((e) => e.id), ids.slice(1));
      d.sink.budget = undefined;
      d.sink.release();
      ids.push(await hub.publish(ch, { data: 'live' }));
      await waitFor(() => real(d.sink).length === 310, 'the live event');
      assert.deepEqual(real(d.sink).map((e) => e.id), ids.slice(1));
      d.source.stop();
    } finally {
      await hub.close();
    }
  });

  it('a live subscriber past its high-water mark keeps only its cursor, then reads what it missed from history', async () => {
    const hub = new Hub({ history: { maxEvents: 5000 } });
    try {
      const ch = 'lagging';
      const d = await started(direct(hub, ch));
      const lagging = await started(direct(hub, ch));
      // The "socket" takes 64 KB, then its gate shuts until the test drains it.
      lagging.sink.budget = 64 * 1024;
      const chunk = 'z'.repeat(4096);
      const ids = await Promise.all(Array.from({ length: 1000 }, (_, n) => hub.publish(ch, { data: `${n}:${chunk}` })));
      await waitFor(() => real(d.sink).length === 1000, 'the unbounded subscriber to get the burst');
      await waitFor(() => lagging.sink.gate && lagging.sink.waits === 1, 'the lagging one to wait');
      const before = real(lagging.sink).length;
      assert.ok(before < 20, `only about its budget was written (${before} events)`);
      // While it waits, more events come: it holds none of them (cursor only), and none is lost.
      for (let n = 1000; n < 1100; n++) ids.push(await hub.publish(ch, { data: `${n}:${chunk}` }));
      let most = 0;
      while (real(lagging.sink).length < ids.length) {
        const waits = lagging.sink.waits;
        lagging.sink.release();
        await waitFor(() => lagging.sink.waits > waits || real(lagging.sink).length === ids.length, 'the catch-up to write and wait again');
        most = Math.max(most, lagging.sink.sinceRelease);
      }
      assert.ok(most <= 64 * 1024 + 4200, `never more than one event past the budget (${most} bytes)`);
      assert.deepEqual(real(lagging.sink).map((e) => e.id), ids, 'every event once, in order');
      assert.ok(real(lagging.sink).every((e) => e.type === undefined), 'no gap signal: everything was retained');
      // Back to live: the next event comes through the feed.
      lagging.sink.budget = undefined;
      lagging.sink.release();
      ids.push(await hub.publish(ch, { data: 'live' }));
      await waitFor(() => real(lagging.sink).length === ids.length, 'the live event');
      d.source.stop();
      lagging.source.stop();
    } finally {
      await hub.close();
    }
  });

  it('a lagging subscriber whose cursor falls out of history gets the gap signal there, then what is retained', async () => {
    const hub = new Hub({ history: { maxEvents: 50 } });
    try {
      const ch = 'fell-out';
      const lagging = await started(direct(hub, ch));
      lagging.sink.budget = 8 * 1024;
      const chunk = 'q'.repeat(1024);
      const ids: string[] = [];
      for (let n = 0; n < 20; n++) ids.push(await hub.publish(ch, { data: `${n}:${chunk}` }));
      await waitFor(() => lagging.sink.gate && lagging.sink.waits === 1, 'the subscriber to pause');
      const got = real(lagging.sink).length;
      assert.ok(got > 0 && got < 20, `it paused part way (${got} events)`);
      // 200 more: its position falls out of the 50 retained events.
      for (let n = 20; n < 220; n++) ids.push(await hub.publish(ch, { data: `${n}:${chunk}` }));
      lagging.sink.budget = undefined;
      lagging.sink.release();
      await waitFor(() => real(lagging.sink).at(-1)?.id === ids.at(-1), 'the subscriber to reach the end');
      const events = real(lagging.sink);
      const gapAt = events.findIndex((e) => e.type === 'eventide-gap');
      // The slice it read ahead while paused (what was retained then) may go out before the gap.
      assert.ok(gapAt >= got && gapAt < 20, `the gap signal comes where its position fell out (${gapAt}, paused at ${got})`);
      const gap = events[gapAt];
      assert.deepEqual(gap.data, { channels: [ch], lastEventId: ids[gapAt - 1] });
      assert.equal(gap.id, ids[gapAt - 1], 'the gap signal stands at the last position it had');
      assert.deepEqual(events.slice(0, gapAt).map((e) => e.id), ids.slice(0, gapAt), 'no gap before the signal');
      assert.deepEqual(events.slice(gapAt + 1).map((e) => e.id), ids.slice(-50), 'then every retained event');
      assert.equal(events.filter((e) => e.type === 'eventide-gap').length, 1, 'one gap signal');
      lagging.source.stop();
    } finally {
      await hub.close();
    }
  });

  it('multi-channel streams on the fast path carry every position and resume exactly', async () => {
    const hub = new Hub();
    try {
      const d = await started(direct(hub, ['m-b', 'm-a']));
      for (let n = 0; n < 6; n++) await hub.publish(n % 2 === 0 ? 'm-a' : 'm-b', { data: `x${n}` });
      await waitFor(() => real(d.sink).length === 6, 'six events');
      assert.deepEqual(real(d.sink).map((e) => [e.channel, e.data]), [0, 1, 2, 3, 4, 5].map((n) => [n % 2 === 0 ? 'm-a' : 'm-b', `x${n}`]));
      const resumeFrom = real(d.sink)[2].id;
      d.source.stop();
      const again = direct(hub, ['m-a', 'm-b'], resumeFrom);
      await waitFor(() => real(again.sink).length === 3, 'the replay');
      // Across channels a replay follows publication time (to the millisecond); per channel, exact order.
      const byChannel = (ch: string) => real(again.sink).filter((e) => e.channel === ch).map((e) => e.data);
      assert.deepEqual(byChannel('m-a'), ['x4']);
      assert.deepEqual(byChannel('m-b'), ['x3', 'x5']);
      again.source.stop();
    } finally {
      await hub.close();
    }
  });

  it('a subscriber whose output throws ends alone, with the error reported; the others go on', async () => {
    const reported: string[] = [];
    const hub = new Hub({ onError: (err, channel) => reported.push(`${channel}: ${err.message}`) });
    try {
      const ch = 'faulty';
      const good = await started(direct(hub, ch));
      const bad = await started(direct(hub, ch));
      const viaRx = collect(hub.subscribe(ch));
      await live(viaRx);
      // The bad connection's writes fail from now on (a sink that throws).
      let throwing = true;
      const frame = bad.sink.frame.bind(bad.sink);
      bad.sink.frame = (bytes) => {
        if (throwing) throw new Error('this connection broke');
        frame(bytes);
      };
      const ids = await Promise.all([0, 1, 2].map((n) => hub.publish(ch, { data: `e${n}` })));
      await waitFor(() => real(good.sink).length === 3 && viaRx.data().length === 3, 'the healthy subscribers to get every event');
      await waitFor(() => bad.sink.failure !== undefined, 'the broken one to be ended with its error');
      throwing = false;
      assert.equal((bad.sink.failure as Error).message, 'this connection broke');
      assert.deepEqual(reported, [`${ch}: this connection broke`]);
      assert.deepEqual(real(good.sink).map((e) => e.id), ids);
      ids.push(await hub.publish(ch, { data: 'after' }));
      await waitFor(() => real(good.sink).length === 4, 'the next event');
      assert.equal(real(bad.sink).length, 0, 'nothing more reaches the ended one');
      assert.equal(hub.subscriptionCount, 3, 'the ended subscription still counts until its connection stops it');
      bad.source.stop();
      good.source.stop();
      viaRx.subscription.unsubscribe();
    } finally {
      await hub.close();
    }
  });

  it('validates its options with the shared validator (timers capped at 2^31-1 ms)', () => {
    for (const [options, word] of [
      [{ stallTimeoutMs: 2 ** 31 }, 'stallTimeoutMs'],
      [{ stallTimeoutMs: -1 }, 'stallTimeoutMs'],
      [{ history: { maxEvents: 1.5 } }, 'history.maxEvents'],
      [{ history: { maxEvent: 10 } }, 'maxEvent'],
      [{ histroy: {} }, 'histroy'],
    ] as [object, string][]) {
      assert.throws(() => new Hub(options as never), (err: Error) => (err as { code?: string }).code === 'EVENTIDE_INVALID_OPTION' && err.message.includes(word), word);
    }
    assert.throws(() => createMemoryBackend({ sweepIntervalMs: 2 ** 31 }), /sweepIntervalMs/);
    assert.equal(new Hub({ stallTimeoutMs: 0 }).stallTimeoutMs, 0, '0 turns the stall policy off');
  });

  it('completes on hub.close(), refuses a closed hub, and tolerates stop() before or after start', async () => {
    const hub = new Hub();
    const d = await started(direct(hub, 'closing'));
    const unstarted = frameSourceOf(hub.subscribe('closing'));
    unstarted.stop();
    unstarted.start(new RecordingSink('closing')); // stopped first: does nothing
    await hub.close();
    assert.equal(d.sink.completed, true);
    d.source.stop();
    d.source.stop();
    const late = direct(hub, 'closing');
    assert.equal((late.sink.failure as { code?: string } | undefined)?.code, 'EVENTIDE_CLOSED');
  });
});

const skip = await skipUnlessRedis();
describe('hub fast path over Redis', () => {
  const prefix = uniquePrefix('fastpath');
  after(() => (skip === false ? deleteKeys(prefix) : undefined));

  it('writes what one read of the stream brings as one batch', { skip }, async () => {
    const backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
    const hub = new Hub({ backend });
    try {
      await backend.ready();
      const subscribers: Direct[] = [];
      for (let i = 0; i < 20; i++) subscribers.push(await started(direct(hub, 'redis-burst')));
      const before = subscribers.map((d) => d.sink.writes.length);
      const encodes = encodeCounter.count;
      const ids = await Promise.all([...Array(200).keys()].map((n) => hub.publish('redis-burst', { data: `r${n}` })));
      await waitFor(() => subscribers.every((d) => real(d.sink).length === 200), 'every subscriber to get the burst');
      for (const d of subscribers) assert.deepEqual(real(d.sink).map((e) => e.id), ids);
      const writes = subscribers[0].sink.writes.length - before[0];
      assert.ok(writes <= 50, `200 events in ${writes} writes: replies of many entries are batched`);
      assert.ok(subscribers.every((d, k) => d.sink.writes.length - before[k] === writes), 'all subscribers write the same batches');
      assert.equal(encodeCounter.count - encodes, 200);
    } finally {
      await hub.close();
    }
  });
});
