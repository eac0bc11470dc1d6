// A real backend seen through random latency: reads answer late, live deliveries arrive late, and
// appends are stored in call order but acknowledged late. The memory backend wrapped this way
// behaves like a networked one (Redis), so the hub suite exercises the replay/live handoff races
// that a synchronous backend never opens.
import type { HubBackend, StoredEvent } from '../../src/hub/index.js';

function delay(): Promise<void> {
  return new Promise((resolve) => {
    const roll = Math.random();
    if (roll < 0.4) queueMicrotask(resolve);
    else if (roll < 0.8) setImmediate(resolve);
    else setTimeout(resolve, Math.floor(Math.random() * 3));
  });
}

export function withLatency(inner: HubBackend): HubBackend {
  let appendChain: Promise<unknown> = Promise.resolve();
  return {
    zeroId: inner.zeroId,
    compareIds: (a, b) => inner.compareIds(a, b),
    isValidId: (id) => inner.isValidId(id),
    async append(channel, record, limits) {
      // Stored in call order, as a pipelined network client would; acknowledged after a delay.
      const stored = appendChain.then(delay).then(() => inner.append(channel, record, limits));
      appendChain = stored.catch(() => {});
      const event = await stored;
      await delay();
      return event;
    },
    async readAfter(channel, after) {
      await delay();
      const result = await inner.readAfter(channel, after);
      await delay();
      return result;
    },
    follow(channel, after, onEvent, onError) {
      let chain: Promise<void> = Promise.resolve();
      let stopped = false;
      const stop = inner.follow(
        channel,
        after,
        (event: StoredEvent) => {
          chain = chain.then(delay).then(() => {
            if (!stopped) onEvent(event);
          });
        },
        onError,
      );
      return () => {
        stopped = true;
        stop();
      };
    },
    close: () => inner.close(),
  };
}
