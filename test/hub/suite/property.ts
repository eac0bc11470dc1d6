// Property: over random interleavings of publish, subscribe, unsubscribe and resume, every
// subscriber's sequence is ordered and gapless, and open subscribers end at the newest event.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GAP_EVENT_TYPE, isAnchor, type Hub, type HubEvent } from '../../../src/hub/index.js';
import { collect, positionsOf, waitFor, type Collector } from '../helpers.js';
import type { HubTestContext } from './context.js';

type Op =
  | { kind: 'publish'; ch: number }
  | { kind: 'subscribe'; chs: number[] }
  | { kind: 'unsubscribe'; k: number }
  | { kind: 'resume'; k: number }
  | { kind: 'yield' }
  | { kind: 'settle' };

const CHANNELS = 3;

// Gap signals met by the short-history property: it must exercise the gap path, not only pass.
let gapsSeen = 0;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('publish' as const), ch: fc.nat(CHANNELS - 1) }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('subscribe' as const), chs: fc.uniqueArray(fc.nat(CHANNELS - 1), { minLength: 1, maxLength: CHANNELS }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), k: fc.nat(20) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('resume' as const), k: fc.nat(20) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'yield' as const }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'settle' as const }), weight: 1 },
);

interface Session {
  channels: string[]; // sorted
  resumedFrom: string | undefined;
  collector: Collector;
  open: boolean;
}

/** The positions an emitted event states, one per channel of the session. */
function positions(session: Session, event: HubEvent): string[] {
  return session.channels.length === 1 ? [event.id] : positionsOf(event.id);
}

async function run(hub: Hub, names: string[], ops: Op[], trimmed: boolean, lagging: boolean): Promise<void> {
  const sessions: Session[] = [];
  const away: Session[] = [];
  const publishes: Promise<[number, string]>[] = [];
  const open = () => sessions.filter((s) => s.open);
  const start = (channels: string[], resumedFrom: string | undefined) => {
    sessions.push({ channels, resumedFrom, open: true, collector: collect(hub.subscribe(channels, { lastEventId: resumedFrom })) });
  };
  let n = 0;
  for (const op of ops) {
    switch (op.kind) {
      case 'publish':
        publishes.push(hub.publish(names[op.ch], { data: `m${n++}` }).then((id) => [op.ch, id]));
        break;
      case 'subscribe':
        start(op.chs.map((i) => names[i]).sort(), undefined);
        break;
      case 'unsubscribe': {
        // The client goes away; a later `resume` may bring it back with the last id it received.
        const list = open();
        if (list.length === 0) break;
        const session = list[op.k % list.length];
        session.collector.subscription.unsubscribe();
        session.open = false;
        away.push(session);
        break;
      }
      case 'resume': {
        let session: Session;
        if (away.length > 0) {
          session = away.splice(op.k % away.length, 1)[0];
        } else {
          const list = open();
          if (list.length === 0) break;
          session = list[op.k % list.length];
          session.collector.subscription.unsubscribe();
          session.open = false;
        }
        // A client resumes with the last id it received (none: it starts afresh).
        start(session.channels, session.collector.last()?.id ?? session.resumedFrom);
        break;
      }
      case 'yield':
        await new Promise((resolve) => setImmediate(resolve));
        break;
      case 'settle':
        // Every open stream has started (anchor, gap signal or first event).
        await waitFor(() => open().every((s) => s.collector.events.length > 0 || s.resumedFrom !== undefined), 'open streams to start');
        break;
    }
  }
  const published: string[][] = names.map(() => []);
  for (const [ch, id] of await Promise.all(publishes)) published[ch].push(id);
  for (const list of published) list.sort((a, b) => hub.backend.compareIds(a, b));
  const newest = names.map((_, i) => published[i].at(-1));
  const indexOf = (ch: number, position: string) => published[ch].filter((id) => hub.backend.compareIds(id, position) <= 0).length;

  // Every open session reaches the newest event of each of its channels.
  for (const session of open()) {
    await waitFor(() => {
      // A resumed stream with nothing new to send emits nothing: it stands where it resumed.
      const last = session.collector.last()?.id ?? session.resumedFrom;
      if (last === undefined) return false;
      const at = session.channels.length === 1 ? [last] : positionsOf(last);
      return session.channels.every((name, i) => {
        const top = newest[names.indexOf(name)];
        return top === undefined || hub.backend.compareIds(at[i], top) >= 0;
      });
    }, `session on ${session.channels.join('+')} to reach the newest events`);
  }

  for (const session of sessions) {
    const { events, error } = session.collector;
    assert.equal(error, undefined);
    let previous: (string | undefined)[] =
      session.resumedFrom === undefined
        ? session.channels.map(() => undefined)
        : session.channels.length === 1 ? [session.resumedFrom] : positionsOf(session.resumedFrom);
    const jumping = new Set<number>();
    for (const event of events) {
      const at = positions(session, event);
      const moved = session.channels.map((_, i) => previous[i] !== at[i]);
      if (event.type === GAP_EVENT_TYPE && events[0] !== event) {
        // Mid-stream: a lagging subscriber whose position fell out of the history. The signal
        // stands where it was; the next event of each channel it names may jump forward.
        assert.ok(trimmed && lagging, 'a mid-stream gap only when lagging past a short history');
        gapsSeen++;
        assert.deepEqual(at, previous, 'the signal stands at the position the stream had');
        for (const name of (event.data as { channels: string[] }).channels) jumping.add(session.channels.indexOf(name));
      } else if (event.type === GAP_EVENT_TYPE) {
        // Never silent: the signal opens the stream and names exactly the channels that jump.
        assert.ok(trimmed, 'no gap while the whole history is retained');
        gapsSeen++;
        assert.ok(session.resumedFrom !== undefined && events[0] === event, 'a gap signal only opens a resumed stream');
        const jumped = session.channels.filter((_, i) => moved[i]);
        assert.deepEqual([...(event.data as { channels: string[] }).channels].sort(), jumped, 'the signal names the channels that jump');
        session.channels.forEach((_, i) => {
          if (moved[i]) assert.ok(hub.backend.compareIds(at[i], previous[i]!) > 0, 'a gap moves forward');
        });
      } else if (isAnchor(event)) {
        assert.ok(session.resumedFrom === undefined && events[0] === event, 'an anchor only opens a fresh stream');
      } else {
        const i = session.channels.indexOf(event.channel!);
        const ch = names.indexOf(event.channel!);
        assert.ok(i >= 0, 'the event belongs to the session');
        // Only the event's own channel moves; it moves to the very next event of that channel.
        session.channels.forEach((_, j) => {
          if (j !== i && previous[j] !== undefined) assert.equal(at[j], previous[j], 'other channels stay');
        });
        if (previous[i] !== undefined && jumping.delete(i)) {
          assert.ok(indexOf(ch, at[i]) > indexOf(ch, previous[i]!), `after a gap signal, forward on ${event.channel}`);
        } else if (previous[i] !== undefined) {
          assert.equal(indexOf(ch, at[i]), indexOf(ch, previous[i]!) + 1, `no gap, no duplicate on ${event.channel}`);
          assert.ok(moved[i]);
        }
        assert.equal(published[ch][indexOf(ch, at[i]) - 1], at[i], 'the position is a published id');
      }
      previous = at;
    }
  }
}

export function property(t: HubTestContext): void {
  const names = ['p0', 'p1', 'p2'];
  const check = (trimmed: boolean, runs: number) =>
    fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 80, size: 'large' }), async (ops) => {
        const { hub, dispose } = await t.open(trimmed ? { history: { maxEvents: 2 } } : {});
        const channels = names.map((name) => t.channel(name));
        try {
          await run(hub, channels, ops, trimmed, t.lagging);
        } finally {
          await dispose();
        }
      }),
      // At least 20 runs even when scaled down: the short-history property must meet gaps.
      { numRuns: Math.max(20, Math.round(runs * t.scale)) },
    );

  describe('random interleavings', () => {
    it('every subscriber sees an ordered, gapless sequence (fast-check)', () => check(false, 60));
    it('with a short history, a gap is always signalled, never silent (fast-check)', async () => {
      gapsSeen = 0;
      await check(true, 40);
      assert.ok(gapsSeen > 0, 'some resumes reached before the retained history');
    });
  });
}
