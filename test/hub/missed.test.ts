// A backend that loses events before this process reads them (Redis trimming a stream faster than
// a lagging process follows it) reports EVENTIDE_EVENTS_MISSED; subscribers must get a gap signal
// at that point of the stream, never a silent gap. Run on the Observable path and the fast path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventideError } from '../../src/errors.js';
import { createMemoryBackend, GAP_EVENT_TYPE, Hub, type HubBackend, type HubEvent } from '../../src/hub/index.js';
import { collect, live, waitFor } from './helpers.js';
import { RecordingSink, frameSourceOf } from './frame-sink.js';

/** The memory backend, except that follow() drops the events whose data is 'lost' and reports it. */
function lossyBackend(): HubBackend {
  const inner = createMemoryBackend();
  return {
    zeroId: inner.zeroId,
    compareIds: (a, b) => inner.compareIds(a, b),
    isValidId: (id) => inner.isValidId(id),
    append: (channel, record, limits) => inner.append(channel, record, limits),
    readAfter: (channel, after) => inner.readAfter(channel, after),
    close: () => inner.close(),
    follow(channel, after, onEvent, onError) {
      return inner.follow(channel, after, (event) => {
        if (event.data === 'lost') {
          onError?.(new EventideError('EVENTIDE_EVENTS_MISSED', `events of ${channel} were trimmed before they were read`));
          return;
        }
        onEvent(event);
      }, onError);
    },
  };
}

async function publishAll(hub: Hub, values: string[]): Promise<void> {
  for (const value of values) await hub.publish('news', { data: value });
}

const sequence = ['a', 'b', 'lost', 'c', 'd'];
const expected = ['a', 'b', GAP_EVENT_TYPE, 'c', 'd'];

function summarize(events: HubEvent[]): string[] {
  return events
    .filter((e) => e.type !== 'eventide-anchor')
    .map((e) => (e.type === GAP_EVENT_TYPE ? GAP_EVENT_TYPE : typeof e.data === 'string' ? e.data : String(e.data)));
}

test('Observable path: events lost by the backend become a gap signal in place', async () => {
  const errors: string[] = [];
  const hub = new Hub({ backend: lossyBackend(), onError: (e) => errors.push((e as EventideError).code) });
  try {
    const subscriber = await live(collect(hub.subscribe('news')));
    await publishAll(hub, sequence);
    await waitFor(() => summarize(subscriber.events).length === expected.length, 'all events');
    assert.deepEqual(summarize(subscriber.events), expected);
    const gap = subscriber.events.find((e) => e.type === GAP_EVENT_TYPE)!;
    assert.deepEqual((gap.data as { channels: string[] }).channels, ['news']);
    assert.deepEqual(errors, ['EVENTIDE_EVENTS_MISSED'], 'the application hears of it too');
    subscriber.subscription.unsubscribe();
  } finally {
    await hub.close();
  }
});

test('fast path: the gap signal comes after the events before the loss, in one stream', async () => {
  const hub = new Hub({ backend: lossyBackend(), onError: () => undefined });
  try {
    const sink = new RecordingSink('news');
    const source = frameSourceOf(hub.subscribe('news'));
    source.start(sink);
    await waitFor(() => sink.events.length > 0, 'the anchor');
    // One synchronous burst: the events before the loss are in the feed's pending batch when the
    // loss is reported.
    await Promise.all(sequence.map((value) => hub.publish('news', { data: value })));
    await waitFor(() => summarize(sink.events).length === expected.length, 'all events');
    assert.deepEqual(summarize(sink.events), expected);
    source.stop();
  } finally {
    await hub.close();
  }
});
