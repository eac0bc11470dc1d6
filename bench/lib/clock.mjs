// CLOCK_MONOTONIC in microseconds: the same clock in every process on the machine, so a server can
// stamp a publish time that the load generator compares with its own reading.
//
// Bun's and Deno's process.hrtime count from their own process start, not from CLOCK_MONOTONIC.
// There the clock is the wall-clock time origin plus performance.now(), moved onto Node's monotonic
// clock by the offset the orchestrator measured and passed in EVENTIDE_BENCH_CLOCK_OFFSET_US.
const onNode = !globalThis.Bun && !globalThis.Deno;
const offsetUs = onNode ? 0 : Number(process.env.EVENTIDE_BENCH_CLOCK_OFFSET_US);
if (!onNode && !Number.isFinite(offsetUs)) throw new Error('clock.mjs: EVENTIDE_BENCH_CLOCK_OFFSET_US is not set (start this server from bench/run.mjs)');

export const nowUs = onNode
  ? () => Number(process.hrtime.bigint() / 1000n)
  : () => Math.round((performance.timeOrigin + performance.now()) * 1000 - offsetUs);

/** Node only: wall-clock time minus CLOCK_MONOTONIC, in microseconds, for the servers on Bun and Deno. */
export function wallToMonotonicOffsetUs() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) - Number(process.hrtime.bigint() / 1000n);
}
