// What each part of the shared hub suite gets: hubs over fresh backends, closed after each test.
import { afterEach } from 'node:test';
import { Hub, type HubOptions } from '../../../src/hub/index.js';
import { subscribeThroughFrames } from '../frame-sink.js';
import type { BackendFactory } from '../helpers.js';

export interface HubTestContext {
  /** A hub over a fresh backend from the factory; closed (and the backend cleaned up) after the test. */
  hub(options?: Omit<HubOptions, 'backend'>): Promise<Hub>;
  /** A hub over a fresh backend that the caller disposes of (for many hubs in one test). */
  open(options?: Omit<HubOptions, 'backend'>): Promise<{ hub: Hub; dispose(): Promise<void> }>;
  /** A channel name unique to this process and test, so a shared server never mixes runs. */
  channel(name: string): string;
  /** Scales loops down for slower backends (1 for memory). */
  readonly scale: number;
  /** True when `hub.subscribe()` goes through the connection fast path (frames parsed back). */
  readonly frames: boolean;
  /** True when that connection's socket fills after a few KB and drains a turn later (subscribers lag). */
  readonly lagging: boolean;
}

let unique = 0;

/**
 * @param frames - route every `hub.subscribe()` of the hubs made here through the fast path an
 *   @Sse route takes, so the suite's assertions hold for what a client parses from the frames.
 */
export function hubTestContext(makeBackend: BackendFactory, scale: number, frames = false, socketBytes?: number): HubTestContext {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    // Later hubs first; hub.close() closes its backend, then the factory's cleanup runs.
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  const make = (options: Omit<HubOptions, 'backend'>, backend: HubOptions['backend']): Hub => {
    const hub = new Hub({ ...options, backend });
    if (frames) subscribeThroughFrames(hub, socketBytes);
    return hub;
  };
  return {
    scale,
    frames,
    lagging: socketBytes !== undefined,
    async hub(options = {}) {
      const { backend, cleanup } = await makeBackend();
      const hub = make(options, backend);
      cleanups.push(async () => {
        await hub.close();
        await cleanup();
      });
      return hub;
    },
    async open(options = {}) {
      const { backend, cleanup } = await makeBackend();
      const hub = make(options, backend);
      let disposed: Promise<void> | undefined;
      const dispose = () => (disposed ??= hub.close().then(cleanup));
      cleanups.push(dispose);
      return { hub, dispose };
    },
    channel(name) {
      return `hub-${name}-${process.pid}-${Date.now().toString(36)}-${unique++}`;
    },
  };
}
