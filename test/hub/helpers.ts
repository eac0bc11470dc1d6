// Shared helpers of the hub tests: collecting a subscription's events and waiting with a deadline.
import type { Observable, Subscription } from 'rxjs';
import { ANCHOR_EVENT_TYPE, type HubEvent } from '../../src/hub/index.js';
import { setFrame } from '../../src/protocol/frames.js';
import { subscribeWithDemand } from '../../src/sources/demand.js';
import type { SourceSink } from '../../src/sources/types.js';

/** A factory as the shared suites take it: a fresh backend and a way to dispose of it. */
export type BackendFactory = () => Promise<{ backend: import('../../src/hub/index.js').HubBackend; cleanup(): Promise<void> }>;

/** Polls `predicate` until it holds, failing with `message` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, message: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A running subscription and everything it has received. */
export interface Collector {
  readonly events: HubEvent[];
  readonly subscription: Subscription;
  completed: boolean;
  error: unknown;
  /** Real events only (no anchors, no gap signals). */
  data(): unknown[];
  last(): HubEvent | undefined;
}

/**
 * Subscribes as a connection would: inside the connection's subscribe call, so that the wire-only
 * frames the hub writes there (anchors) are recorded too, in order, as anchor events. With
 * `wire: false` it is a plain rxjs subscriber, which never sees an anchor.
 */
export function collect(observable: Observable<HubEvent>, options: { wire?: boolean } = {}): Collector {
  const collector: Collector = {
    events: [],
    completed: false,
    error: undefined,
    subscription: undefined as unknown as Subscription,
    data: () => collector.events.filter((e) => e.channel !== undefined).map((e) => e.data),
    last: () => collector.events.at(-1),
  };
  const subscribe = () =>
    observable.subscribe({
      next: (event) => collector.events.push(event),
      error: (err) => (collector.error = err),
      complete: () => (collector.completed = true),
    });
  (collector as { subscription: Subscription }).subscription = options.wire === false ? subscribe() : subscribeWithDemand(wireSink(collector), subscribe);
  return collector;
}

/** Waits for the first emission of a fresh subscription (its anchor): from then on it is live. */
export async function live(collector: Collector): Promise<Collector> {
  await waitFor(() => collector.events.length > 0 || collector.error !== undefined, 'the subscription to start');
  if (collector.error !== undefined) throw collector.error;
  return collector;
}

/** Splits a multi-channel stream id into its positions (the tag dropped). */
export function positionsOf(streamId: string): string[] {
  return streamId.split(',').slice(1);
}

/** A sink with no demand limit that records id-only frames (anchors) written on the "wire". */
function wireSink(collector: Collector): SourceSink {
  const unexpected = () => {
    throw new Error('the hub wrote something other than a frame to the wire of an Observable route');
  };
  return {
    next: unexpected,
    error: unexpected,
    complete: unexpected,
    ready: () => undefined,
    frame(bytes) {
      const text = new TextDecoder().decode(bytes);
      const match = /^id: ([^\n]*)\n\n$/.exec(text);
      if (match === null) throw new Error(`unexpected frame on the wire: ${JSON.stringify(text)}`);
      // Recorded with the bytes written, so that framing it again gives the same id-only frame.
      const anchor: HubEvent = Object.freeze({ type: ANCHOR_EVENT_TYPE, data: '', id: match[1] });
      setFrame(anchor, bytes);
      collector.events.push(anchor);
    },
  };
}
