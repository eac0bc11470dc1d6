// The connection's demand, offered to the sources it subscribes. An Observable route returns a
// chain of operators whose innermost source cannot see the connection; while the connection
// subscribes, it holds its sink in an ambient slot, and a source that is subscribed synchronously
// inside that call (through pass-through operators such as map, filter, tap, takeUntil) finds it
// there. Sources subscribed later (switchMap's inner ones, after delay or a timer) find nothing and
// behave as plain push sources.
import type { SourceSink } from './types.js';

let current: SourceSink | undefined;
let claimed = false;

/** Runs `subscribe` with `sink` as the current connection's demand; restores the previous slot after. */
export function subscribeWithDemand<T>(sink: SourceSink, subscribe: () => T): T {
  const previous = current;
  const previousClaimed = claimed;
  current = sink;
  claimed = false;
  try {
    return subscribe();
  } finally {
    current = previous;
    claimed = previousClaimed;
  }
}

/** What a source subscribed inside {@link subscribeWithDemand} is offered. */
export interface OfferedDemand {
  readonly sink: SourceSink;
  /** True for the first source to ask during this subscribe call: it owns the stream's position. */
  readonly first: boolean;
}

/** The demand of the connection subscribing right now, if any. */
export function currentDemand(): OfferedDemand | undefined {
  if (current === undefined) return undefined;
  const first = !claimed;
  claimed = true;
  return { sink: current, first };
}
