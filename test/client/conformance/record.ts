// Records what an EventSource implementation does with one stream: every open, error and message
// event with the readyState at that moment. The same code runs in Node and, bundled, in Chromium,
// against the browser's native EventSource and eventide's. No node: imports.

export type TraceEntry =
  | { kind: 'open'; readyState: number }
  | { kind: 'error'; readyState: number }
  | { kind: 'event'; type: string; data: string; lastEventId: string; origin: string; readyState: number }
  | { kind: 'timeout' };

interface EventSourceLikeCtor {
  new (url: string): EventTarget & {
    readyState: number;
    close(): void;
    onopen: ((event: Event) => unknown) | null;
    onmessage: ((event: MessageEvent) => unknown) | null;
    onerror: ((event: Event) => unknown) | null;
  };
}

/**
 * Opens `url`, records until the stream is over (the first `error`: the source then reconnects or
 * has failed; with `untilClosed`, the error that leaves it CLOSED), closes and resolves with the
 * trace. Never hangs: stops after `timeoutMs`.
 */
export function record(
  EventSourceCtor: EventSourceLikeCtor,
  url: string,
  listen: string[],
  timeoutMs = 10_000,
  untilClosed = false,
): Promise<TraceEntry[]> {
  return new Promise((resolve) => {
    const trace: TraceEntry[] = [];
    const source = new EventSourceCtor(url);
    const finish = (entry?: TraceEntry) => {
      clearTimeout(timer);
      if (entry) trace.push(entry);
      source.close();
      resolve(trace);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    const onEvent = (event: Event) => {
      const message = event as MessageEvent;
      trace.push({
        kind: 'event',
        type: message.type,
        data: String(message.data),
        lastEventId: message.lastEventId,
        origin: message.origin,
        readyState: source.readyState,
      });
    };
    source.onopen = () => trace.push({ kind: 'open', readyState: source.readyState });
    source.onmessage = onEvent;
    for (const type of listen) source.addEventListener(type, onEvent);
    source.onerror = () => {
      if (untilClosed && source.readyState !== 2) trace.push({ kind: 'error', readyState: source.readyState });
      else finish({ kind: 'error', readyState: source.readyState });
    };
  });
}
