// What only the memory backend can show directly: ages under a fake clock, channels released
// and counted, ids that survive release and restart, delivery order under re-entrant publishing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tap } from 'rxjs';
import { isEventideError } from '../../src/errors.js';
import { GAP_EVENT_TYPE, Hub, createMemoryBackend, type GapSignalData } from '../../src/hub/index.js';
import { collect, live, waitFor } from './helpers.js';

function fakeClock(start = 1_000_000) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe('memory backend', () => {
  it('orders ids as the numbers they are, across lengths and at the 2^53 edge, without parsing them', () => {
    const backend = createMemoryBackend();
    const ids = ['10', '9', '0', '1796002654042', '999999999999', '1796002654041', String(Number.MAX_SAFE_INTEGER), '100'];
    for (const id of ids) assert.ok(backend.isValidId(id), id);
    const sorted = [...ids].sort((a, b) => backend.compareIds(a, b));
    assert.deepEqual(sorted, [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)));
    assert.equal(backend.compareIds('1796002654042', '1796002654042'), 0);
    assert.ok(backend.compareIds('1796002654042', '1796002654043') < 0);
    assert.ok(backend.compareIds('10', '9') > 0);
  });

  it('drops events older than maxAgeMs (fake clock) and signals the gap to a client from before', async () => {
    const clock = fakeClock();
    const backend = createMemoryBackend({ clock: clock.read, sweepIntervalMs: 0 });
    const hub = new Hub({ backend, history: { maxEvents: 100, maxAgeMs: 60_000 } });
    try {
      const early = [await hub.publish('ages', { data: 'a' }), await hub.publish('ages', { data: 'b' })];
      clock.now += 30_000;
      const later = await hub.publish('ages', { data: 'c' });
      clock.now += 40_000; // a and b are 70 s old, c is 40 s old
      const gap = collect(hub.subscribe('ages', { lastEventId: early[0] }));
      await waitFor(() => gap.events.length > 0, 'the gap signal');
      assert.equal(gap.events[0].type, GAP_EVENT_TYPE);
      assert.deepEqual((gap.events[0].data as GapSignalData).channels, ['ages']);
      assert.equal(backend.retained('ages'), 1);
      const whole = collect(hub.subscribe('ages', { lastEventId: early[1] }));
      await waitFor(() => whole.events.length > 0, 'the replay');
      assert.deepEqual(whole.events.map((e) => [e.id, e.data]), [[later, 'c']], 'nothing after b was dropped');
    } finally {
      await hub.close();
    }
  });

  it('releases a channel with no history and no subscribers, and keeps idle history within bounds', async () => {
    const backend = createMemoryBackend({ sweepIntervalMs: 0 });
    const none = new Hub({ backend, history: { maxEvents: 0 } });
    try {
      for (let i = 0; i < 50; i++) await none.publish(`ch${i}`, { data: i });
      assert.equal(backend.channelCount, 0, 'history-less channels leave nothing behind');
      const sub = await live(collect(none.subscribe('kept')));
      assert.equal(backend.channelCount, 1, 'a followed channel is held');
      await none.publish('kept', { data: 'x' });
      await waitFor(() => sub.data().length === 1, 'the event');
      sub.subscription.unsubscribe();
      assert.equal(none.activeChannels, 0);
      assert.equal(backend.channelCount, 0, 'released with its last subscriber');
    } finally {
      await none.close();
    }
    const bounded = createMemoryBackend({ sweepIntervalMs: 0 });
    const hub = new Hub({ backend: bounded, history: { maxEvents: 10 } });
    try {
      for (let i = 0; i < 1000; i++) await hub.publish('idle', { data: i });
      assert.equal(bounded.retained('idle'), 10);
    } finally {
      await hub.close();
    }
  });

  it('sweep() drops expired history of idle channels and releases them', async () => {
    const clock = fakeClock();
    const backend = createMemoryBackend({ clock: clock.read, sweepIntervalMs: 0 });
    const hub = new Hub({ backend, history: { maxEvents: 100, maxAgeMs: 1000 } });
    try {
      for (let i = 0; i < 20; i++) await hub.publish(`idle${i}`, { data: i });
      assert.equal(backend.channelCount, 20);
      clock.now += 999;
      backend.sweep();
      assert.equal(backend.channelCount, 20, 'not expired yet');
      clock.now += 1;
      backend.sweep();
      assert.equal(backend.channelCount, 0);
    } finally {
      await hub.close();
    }
  });

  it('never reuses ids: a channel that comes back, or a restarted process, signals what may be lost', async () => {
    const clock = fakeClock();
    const backend = createMemoryBackend({ clock: clock.read, sweepIntervalMs: 0 });
    const hub = new Hub({ backend, history: { maxEvents: 100, maxAgeMs: 1000 } });
    try {
      const old = await hub.publish('phoenix', { data: 'old' });
      const missed = await hub.publish('phoenix', { data: 'missed' });
      clock.now += 5000;
      backend.sweep(); // history expired: the channel is released
      assert.equal(backend.channelCount, 0);
      const fresh = await hub.publish('phoenix', { data: 'new' });
      assert.ok(backend.compareIds(fresh, old) > 0, 'ids keep increasing across a release');
      const sub = collect(hub.subscribe('phoenix', { lastEventId: old }));
      await waitFor(() => sub.events.length > 0, 'the gap signal');
      assert.equal(sub.events[0].type, GAP_EVENT_TYPE, 'the event after `old` was dropped with the channel');
      // A client that had seen everything before the release loses nothing and gets no gap.
      const whole = collect(hub.subscribe('phoenix', { lastEventId: missed }));
      await waitFor(() => whole.events.length > 0, 'the replay');
      assert.deepEqual(whole.events.map((e) => e.data), ['new']);
      // An empty channel released and followed again resumes without a false gap.
      const quiet = await live(collect(hub.subscribe('quiet')));
      quiet.subscription.unsubscribe();
      const anchor = quiet.events[0].id;
      const back = collect(hub.subscribe('quiet', { lastEventId: anchor }));
      await hub.publish('quiet', { data: 'first' });
      await waitFor(() => back.events.length > 0, 'the first event');
      assert.deepEqual(back.events.map((e) => e.data), ['first']);
    } finally {
      await hub.close();
    }
    // A new process (a new backend, later clock): ids of the old one are not taken for its own.
    const restarted = createMemoryBackend({ clock: () => clock.now + 10, sweepIntervalMs: 0 });
    const read = await restarted.readAfter('phoenix', '1000001');
    assert.equal(read.complete, false);
    await restarted.close();
  });

  it('keeps every subscriber in append order when a subscriber publishes from its handler', async () => {
    const hub = new Hub();
    try {
      const echo: unknown[] = [];
      const plain = await live(collect(hub.subscribe('loop')));
      const replier = await live(
        collect(
          hub.subscribe('loop').pipe(
            tap((e) => {
              echo.push(e.data);
              if (typeof e.data === 'number' && e.data < 5) void hub.publish('loop', { data: e.data + 10 });
            }),
          ),
        ),
      );
      await hub.publish('loop', { data: 1 });
      await hub.publish('loop', { data: 2 });
      await waitFor(() => plain.data().length === 4, 'four events');
      const ids = plain.events.slice(1).map((e) => e.id);
      assert.deepEqual([...ids].sort((a, b) => hub.backend.compareIds(a, b)), ids, 'in id order');
      assert.deepEqual(echo, plain.data(), 'both subscribers see the same order');
      replier.subscription.unsubscribe();
    } finally {
      await hub.close();
    }
  });

  it('refuses bad options with EVENTIDE_INVALID_OPTION', () => {
    const bad: [() => unknown, string][] = [
      [() => createMemoryBackend({ clock: 5 as never }), 'clock'],
      [() => createMemoryBackend({ sweepIntervalMs: -1 }), 'sweepIntervalMs'],
      [() => new Hub({ history: { maxEvents: -1 } }), 'maxEvents'],
      [() => new Hub({ history: { maxAgeMs: 1.5 } }), 'maxAgeMs'],
      [() => new Hub({ history: 'long' as never }), 'history'],
      [() => new Hub({ onError: 1 as never }), 'onError'],
      [() => new Hub({ backend: {} as never }), 'append'],
    ];
    for (const [make, word] of bad) {
      assert.throws(make, (err) => isEventideError(err, 'EVENTIDE_INVALID_OPTION') && (err as Error).message.includes(word));
    }
  });
});
