// The memory backend: the shared backend contract and hub suite, then what only memory can show
// (a fake clock for ages, channel release counted directly).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryBackend, Hub, type HubBackend, type HubEvent } from '../../src/hub/index.js';
import { describeBackendContract } from './backend-contract.js';
import { describeHubSuite } from './hub-suite.js';
import { withLatency } from './latency-backend.js';

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

// A stream that starts at the head starts where the channel's feed stands: no read of its own.
describe('new subscribers at the head of a followed channel', () => {
  it('make no backend read, get every event published after they subscribed and none before', async () => {
    const inner = createMemoryBackend();
    let reads = 0;
    const backend = withLatency(inner);
    const counted: HubBackend = {
      ...backend,
      readAfter(...args: Parameters<HubBackend['readAfter']>) {
        reads++;
        return backend.readAfter(...args);
      },
    };
    const hub = new Hub({ backend: counted });
    try {
      const first: HubEvent[] = [];
      const held = hub.subscribe('news').subscribe((e) => first.push(e));
      await hub.publish('news', { data: 'before' });
      // The first subscriber's feed has the event once it reaches that subscriber.
      while (first.length < 1) await new Promise((r) => setImmediate(r));
      const readsBefore = reads;
      const late: HubEvent[][] = Array.from({ length: 50 }, () => []);
      const subs = late.map((events) => hub.subscribe('news').subscribe((e) => events.push(e)));
      await hub.publish('news', { data: 'after' });
      while (late.some((events) => events.length < 1)) await new Promise((r) => setImmediate(r));
      assert.equal(reads, readsBefore, 'no subscriber at the head read the backend');
      for (const events of late) assert.deepEqual(events.map((e) => e.data), ['after']);
      for (const sub of subs) sub.unsubscribe();
      held.unsubscribe();
    } finally {
      await hub.close();
      await inner.close();
    }
  });

});
