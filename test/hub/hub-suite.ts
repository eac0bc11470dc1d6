// The whole hub behaviour suite, as one body run against each backend (memory in memory.test.ts,
// Redis Streams in test/redis). Nothing here assumes a backend: ids are opaque, compared with
// backend.compareIds, and every delivery is awaited.
import { describe } from 'node:test';
import type { BackendFactory } from './helpers.js';
import { basics } from './suite/basics.js';
import { hubTestContext } from './suite/context.js';
import { fanout } from './suite/fanout.js';
import { property } from './suite/property.js';
import { resume } from './suite/resume.js';

/** Options of {@link describeHubSuite}. */
export interface HubSuiteOptions {
  /** Scales the loops of the heavier tests (default 1; a networked backend may pass 0.3). */
  scale?: number;
}

/**
 * Describes the hub suite for one backend. `makeBackend` is called once per hub; its `cleanup`
 * runs after `hub.close()` (which has closed the backend).
 */
export function describeHubSuite(name: string, makeBackend: BackendFactory, options: HubSuiteOptions = {}): void {
  describe(`Hub over ${name}`, () => {
    const t = hubTestContext(makeBackend, options.scale ?? 1);
    basics(t);
    resume(t);
    fanout(t);
    property(t);
  });
  // The same replay, handoff and ordering guarantees on the fast path an @Sse route takes
  // (frames written to the connection, live events batched per turn), checked on parsed bytes.
  describe(`Hub over ${name}, through the connection fast path`, () => {
    const t = hubTestContext(makeBackend, options.scale ?? 1, true);
    resume(t);
    property(t);
  });
  // And with a connection whose socket fills after 200 bytes and drains a turn later: subscribers
  // keep pausing at their high-water mark and catching up from history, all through the suite.
  describe(`Hub over ${name}, through a connection that keeps filling up`, () => {
    const t = hubTestContext(makeBackend, options.scale ?? 1, true, 200);
    resume(t);
    property(t);
  });
}
