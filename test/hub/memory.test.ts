// The memory backend: the shared backend contract and hub suite, then what only memory can show
// (a fake clock for ages, channel release counted directly).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryBackend, Hub, isAnchor, type HubBackend, type HubEvent } from '../../src/hub/index.js';
import { describeBackendContract } from './backend-contract.js';
import { describeHubSuite } from './hub-suite.js';
import { withLatency } from './latency-backend.js';
import { collect, waitFor, type Collector } from './helpers.js';

const factory = async () => {
  const backend = createMemoryBackend();
  return { backend, cleanup: () => backend.close() };
};

describeBackendContract('memory', factory);
describeHubSuite('memory', factory);

// The same suites with random latency in front of memory: the races of a networked backend.
const slow = async () => {
  const backend = createMemoryBackend();
  return { backend: withLatency(backend), cleanup: () => backend.close() };
};
describeBackendContract('memory behind random latency', slow);
describeHubSuite('memory behind random latency', slow);

/**
 * `backend`, with the answer to its first read of a head (readAfter without `after`) held back
 * until `release()`: the read itself is made when asked, as the feed of a new channel asks it.
 */
function holdingFirstHeadRead(backend: HubBackend): { backend: HubBackend; held(): boolean; release(): void } {
  let asked = false;
  let release: (() => void) | undefined;
  const holding: HubBackend = {
    zeroId: backend.zeroId,
    compareIds: (a, b) => backend.compareIds(a, b),
    isValidId: (id) => backend.isValidId(id),
    append: (channel, record, limits) => backend.append(channel, record, limits),
    follow: (channel, after, onEvent, onError) => backend.follow(channel, after, onEvent, onError),
    close: () => backend.close(),
    readAfter(channel, after, limit, known) {
      const read = backend.readAfter(channel, after, limit, known);
      if (after !== undefined || asked) return read;
      asked = true;
      return read.then((answer) => new Promise((resolve) => (release = () => resolve(answer))));
    },
  };
  return { backend: holding, held: () => release !== undefined, release: () => release!() };
}

/** What {@link withTrimmedBurst} hands its test. */
interface TrimmedBurst {
  hub: Hub;
  /** Another process on the same backend. */
  other: Hub;
  /** The subscriber whose subscribe made the feed read the head. */
  first: Collector;
  /** The ids of the burst, in order. */
  burst: string[];
  compare(a: string, b: string): number;
}

/**
 * The trimmed burst: `hub` and `other` (another process) on one memory backend, both with a history
 * of 2. A first subscriber on `hub` makes its feed read the channel's head; while that answer is
 * held, `other` publishes five events, so the history keeps only the last two; then the answer is
 * released and `test` runs. `backendFor` makes hub's backend around the shared memory backend; it
 * must hold the first head read (see holdingFirstHeadRead). Both hubs are closed afterwards.
 */
async function withTrimmedBurst(
  backendFor: (inner: HubBackend) => ReturnType<typeof holdingFirstHeadRead>,
  test: (burst: TrimmedBurst) => Promise<void>,
): Promise<void> {
  const inner = createMemoryBackend();
  const head = backendFor(inner);
  const hub = new Hub({ backend: head.backend, history: { maxEvents: 2 } });
  const other = new Hub({ backend: { ...withLatency(inner), close: async () => {} }, history: { maxEvents: 2 } });
  try {
    const first = collect(hub.subscribe('news'));
    await waitFor(head.held, 'the feed to read the head');
    const burst: string[] = [];
    for (let i = 0; i < 5; i++) burst.push(await other.publish('news', { data: `burst ${i}` }));
    head.release();
    await test({ hub, other, first, burst, compare: (a, b) => inner.compareIds(a, b) });
  } finally {
    await other.close();
    await hub.close();
    await inner.close();
  }
}

// The first subscription of a channel starts where its feed began to follow: the memory backend
// reads that head inside the subscribe call, so an event published right after is never lost.
describe('a subscription made just before a publish', () => {
  it('gets the event, on a channel nobody followed yet and on one already followed', async () => {
    const hub = new Hub();
    try {
      for (const round of ['first subscriber', 'later subscriber']) {
        const early = collect(hub.subscribe('news'));
        const id = await hub.publish('news', { data: round });
        await waitFor(() => early.events.some((e) => e.id === id), `the ${round} to get the event published after it subscribed`);
        assert.deepEqual(early.data(), [round]);
      }
      // Several channels at once, and several subscribers attached before the feeds follow.
      const both = [collect(hub.subscribe(['a', 'b'])), collect(hub.subscribe(['a', 'b']))];
      await hub.publish('a', { data: 'to a' });
      await hub.publish('b', { data: 'to b' });
      await waitFor(() => both.every((c) => c.data().length === 2), 'both multi-channel subscribers to get both events');
      for (const c of both) assert.deepEqual(c.data(), ['to a', 'to b']);
    } finally {
      await hub.close();
    }
  });

  it('does not get an event this hub finished publishing before it subscribed', async () => {
    // The feed's head is read when the first subscriber subscribes; its answer is held while an
    // event is published and a second subscriber subscribes, so that both attach before the feed
    // follows. The event came after where the feed began but before the second subscribe.
    const head = holdingFirstHeadRead(createMemoryBackend());
    const hub = new Hub({ backend: head.backend });
    try {
      const first = collect(hub.subscribe('news'));
      await waitFor(head.held, 'the feed to read the head');
      await hub.publish('news', { data: 'between' });
      const second = collect(hub.subscribe('news'));
      head.release();
      await hub.publish('news', { data: 'after' });
      await waitFor(() => first.data().length === 2 && second.data().length > 0, 'the events after each subscribe');
      assert.deepEqual(first.data(), ['between', 'after']);
      assert.deepEqual(second.data(), ['after']);
    } finally {
      await hub.close();
    }
  });
});

// A stream that starts at the head starts where the channel's feed stands: no read of its own.
describe('new subscribers at the head of a followed channel', () => {
  it('make no backend read, get every event published after they subscribed and none before', async () => {
    const inner = createMemoryBackend();
    let reads = 0;
    let pending = 0;
    const backend = withLatency(inner);
    const counted: HubBackend = {
      ...backend,
      readAfter(...args: Parameters<HubBackend['readAfter']>) {
        reads++;
        pending++;
        return backend.readAfter(...args).finally(() => pending--);
      },
    };
    const hub = new Hub({ backend: counted });
    try {
      const first: HubEvent[] = [];
      const held = hub.subscribe('news').subscribe((e) => first.push(e));
      // Behind latency, the feed's read of the head may come after a publish made in the same
      // turn: publish until one reaches the first subscriber, so that its channel's feed follows.
      let before = '';
      while (first.length === 0) {
        before = await hub.publish('news', { data: 'before' });
        await waitFor(() => pending === 0, 'the reads made so far to answer');
      }
      // The feed has passed every event published so far once its subscriber has the last one.
      await waitFor(() => first.at(-1)?.id === before, 'the first subscriber to get the last event before');
      const readsBefore = reads;
      const late: HubEvent[][] = Array.from({ length: 50 }, () => []);
      const subs = late.map((events) => hub.subscribe('news').subscribe((e) => events.push(e)));
      await hub.publish('news', { data: 'after' });
      await waitFor(() => late.every((events) => events.length > 0), 'every late subscriber to get an event');
      assert.equal(reads, readsBefore, 'no subscriber at the head read the backend');
      for (const events of late) assert.deepEqual(events.map((e) => e.data), ['after']);
      for (const sub of subs) sub.unsubscribe();
      held.unsubscribe();
    } finally {
      await hub.close();
      await inner.close();
    }
  });

  it('read their own head until the feed has shown that its follow missed nothing', async () => {
    // The feed reads the channel's head, then follows from it. Another process publishes a burst in
    // between, and a history of 2 trims part of it before the follow begins: the follow delivers
    // the rest with nothing to say that some are missing. A subscriber starting at the feed's
    // position would then skip events silently; it must read its own head instead.
    // The feed's read of the head is answered only after the burst.
    await withTrimmedBurst(
      (inner) => holdingFirstHeadRead(withLatency(inner)),
      async ({ hub, other, first, burst, compare }) => {
        // Subscribed in the turn the feed starts following, while its follow still catches up.
        const late = collect(hub.subscribe('news'));
        const last = await other.publish('news', { data: 'after' });
        const published = [...burst, last];
        const position = (c: Collector) => c.events.at(-1)?.id;
        await waitFor(() => [first, late].every((c) => position(c) !== undefined && compare(position(c)!, last) >= 0), 'both to reach the last event');
        // Where each subscribed among the publishes: the first before the burst, the late one after.
        for (const [c, subscribedAt] of [[first, 0], [late, 5]] as const) {
          assert.equal(c.error, undefined);
          // From where its stream started, it has every event published after, in order. The start
          // is its anchor or, when events came before the anchor could be sent, where it subscribed
          // or where its own read of the head (after the burst) found the channel.
          const opened = c.events[0];
          const ids = c.events.filter((e) => !isAnchor(e)).map((e) => e.id!);
          const expected = isAnchor(opened)
            ? published.filter((id) => compare(id, opened.id!) > 0)
            : published.slice(ids.length === published.length - subscribedAt ? subscribedAt : 5);
          assert.deepEqual(ids, expected, `no silent gap after the start (${opened.id})`);
        }
        first.subscription.unsubscribe();
        late.subscription.unsubscribe();
      },
    );
  });

  it('read their own head while the feed follows but has not yet shown that it missed nothing', async () => {
    // The same trimmed burst, held still at the one moment that matters: the feed follows (its
    // position is the head from before the burst, its follow's deliveries of the burst's survivors
    // are held) and its read after that head has not answered. A subscriber attaching then must
    // not start at the feed's position: the survivors would reach it with no sign of the three
    // trimmed events before them.
    let heldDeliveries: (() => void)[] | undefined = [];
    let answerCheck: (() => void) | undefined;
    const holdingFeedStart = (inner: HubBackend) => {
      const head = holdingFirstHeadRead(inner);
      const backend: HubBackend = {
        ...head.backend,
        follow: (channel, after, onEvent, onError) =>
          head.backend.follow(channel, after, (event) => (heldDeliveries ? heldDeliveries.push(() => onEvent(event)) : onEvent(event)), onError),
        readAfter(channel, after, limit, known) {
          const read = head.backend.readAfter(channel, after, limit, known);
          // The feed's completeness read: one event after the head it began from.
          if (after === undefined || limit !== 1 || answerCheck !== undefined) return read;
          return read.then((answer) => new Promise((resolve) => (answerCheck = () => resolve(answer))));
        },
      };
      return { ...head, backend };
    };
    await withTrimmedBurst(holdingFeedStart, async ({ hub, other, first }) => {
      await waitFor(() => answerCheck !== undefined, 'the feed to follow and ask whether its follow missed anything');
      const late = collect(hub.subscribe('news'));
      // A start at the feed's position is taken within the subscribe's own turn; let it be taken.
      await new Promise((resolve) => setImmediate(resolve));
      for (const deliver of heldDeliveries!) deliver();
      heldDeliveries = undefined;
      answerCheck!();
      await waitFor(() => first.events.length > 0 && late.events.length > 0, 'both streams to start');
      const last = await other.publish('news', { data: 'after' });
      await waitFor(() => [first, late].every((c) => c.events.some((e) => e.id === last)), 'both to get the event after the burst');
      // Both start after the burst, where their own reads of the head found the channel.
      assert.deepEqual(late.data(), ['after'], 'the late subscriber starts at its own head, not at the feed position before the burst');
      assert.deepEqual(first.data(), ['after']);
      first.subscription.unsubscribe();
      late.subscription.unsubscribe();
    });
  });
});
