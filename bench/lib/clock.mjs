// CLOCK_MONOTONIC in microseconds: the same clock in every process on the machine, so a server can
// stamp a publish time that the load generator compares with its own reading.
export function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}
