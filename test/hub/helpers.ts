// Shared helpers of the hub tests: collecting a subscription's events and waiting with a deadline.
import type { Observable, Subscription } from 'rxjs';
import type { HubEvent } from '../../src/hub/index.js';

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

export function collect(observable: Observable<HubEvent>): Collector {
  const collector: Collector = {
    events: [],
    completed: false,
    error: undefined,
    subscription: undefined as unknown as Subscription,
    data: () => collector.events.filter((e) => e.channel !== undefined).map((e) => e.data),
    last: () => collector.events.at(-1),
  };
  (collector as { subscription: Subscription }).subscription = observable.subscribe({
    next: (event) => collector.events.push(event),
    error: (err) => (collector.error = err),
    complete: () => (collector.completed = true),
  });
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
