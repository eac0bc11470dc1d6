// How a hub subscription behind rxjs operators paces itself by the connection's demand within one
// turn: a burst published in one loop reaches the connection as one batch, and the subscription
// must stop at the high-water mark (a quarter of maxBufferedBytes) whatever the operators do to the
// events' size. The connection here writes to a transport that takes nothing (a client that does
// not read), so what is queued after the burst's turn is exactly what the subscription pushed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filter, map, type Observable } from 'rxjs';
import { SseConnection, type CloseReason } from '../../src/connection/connection.js';
import { HeartbeatScheduler } from '../../src/connection/heartbeat.js';
import { toSource } from '../../src/sources/index.js';
import { Hub, type HubEvent } from '../../src/hub/index.js';

const MAX_BUFFERED = 4 * 1024 * 1024;
const HIGH_WATER = MAX_BUFFERED / 4;

/** A transport that never takes a byte: everything written stays buffered. */
class StuckSink {
  buffered = 0;
  open(first?: Uint8Array) {
    if (first !== undefined) this.write(first);
  }
  write(chunk: Uint8Array) {
    this.buffered += chunk.length;
    return false;
  }
  get needsDrain() {
    return this.buffered > 0;
  }
  onDrain() {}
  onClose() {}
  end() {}
  fail() {}
  destroy() {}
  abort() {}
  readonly owner = undefined;
}

async function burstThrough(pipe: (events: Observable<HubEvent>) => Observable<unknown>, count: number) {
  const hub = new Hub({ history: { maxEvents: 10_000 } });
  const heartbeats = new HeartbeatScheduler();
  const closes: CloseReason[] = [];
  const sink = new StuckSink();
  const connection = new SseConnection(sink, {
    heartbeatMs: 0,
    maxBufferedBytes: MAX_BUFFERED,
    maxQueuedEvents: 1_000_000,
    heartbeats,
    onClose: (_c, reason) => closes.push(reason),
    onError: (err) => assert.fail(String(err)),
  });
  try {
    connection.start(toSource(pipe(hub.subscribe('c'))));
    await new Promise((resolve) => setImmediate(resolve)); // live, anchor flushed
    const published = [];
    for (let i = 0; i < count; i++) published.push(hub.publish('c', { data: `e${i}` }));
    await Promise.all(published);
    // The batch was delivered in a microtask; the connection's flush waits for the next turn.
    return { unsent: connection.unsent() - sink.buffered, written: connection.eventsWritten, closes: [...closes] };
  } finally {
    connection.destroy();
    await hub.close();
  }
}

test('an operator that makes events bigger: the subscription stops at the mark, at most one event past it', async () => {
  const big = 'x'.repeat(100 * 1024);
  const frame = 100 * 1024 + 64; // one enlarged event on the wire, with room for its id line
  const r = await burstThrough((events) => events.pipe(map((e) => ({ id: e.id, data: `${e.data}${big}` }))), 200);
  assert.deepEqual(r.closes, [], 'behind is not slow: the stream stays open');
  assert.ok(r.unsent >= HIGH_WATER, `it filled up to the mark (${r.unsent} bytes queued)`);
  assert.ok(r.unsent < HIGH_WATER + frame, `queued ${r.unsent} bytes: more than one event past the mark of ${HIGH_WATER}`);
});

test('a pass-through operator: the subscription stops at the mark, a few small events past it at most', async () => {
  const r = await burstThrough((events) => events.pipe(filter(() => true)), 60_000);
  assert.deepEqual(r.closes, []);
  assert.ok(r.written < 60_000, 'the burst is larger than the mark: the subscription held back');
  assert.ok(r.unsent >= HIGH_WATER - 64, `it filled up to the mark (${r.unsent} bytes queued)`);
  assert.ok(r.unsent < HIGH_WATER + 8 * 64, `queued ${r.unsent} bytes: more than 8 events past the mark of ${HIGH_WATER}`);
});
