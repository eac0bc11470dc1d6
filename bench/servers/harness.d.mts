// Types of harness.mjs, for the eventide servers written in TypeScript.

/** One benchmark payload: `{ seq, t, pad }`, about `size` bytes of JSON. */
export interface Payload {
  seq: number;
  t: number;
  pad: string;
}

/** Builds the payload of event `seq`, stamped with publish time `t` (microseconds, CLOCK_MONOTONIC). */
export function makePayload(seq: number, size: number, t: number): Payload;

/** What a benchmark server gives the harness. */
export interface BenchServer {
  /** Starts listening on 127.0.0.1 and resolves with the port. */
  start(): Promise<number>;
  /** Open streams right now. */
  subscribers(): number;
  /** Publishes one payload to every broadcast subscriber. */
  publish(payload: Payload): void | Promise<unknown>;
  /** Publishes several at once (a burst, or one timer tick); defaults to `publish` in a loop. */
  publishMany?(payloads: Payload[]): void | Promise<unknown>;
}

/** Runs a benchmark server under the orchestrator's IPC control. */
export function runServer(impl: BenchServer): Promise<void>;

/** Headers every hand-written baseline sends. */
export const SSE_HEADERS: Record<string, string>;
