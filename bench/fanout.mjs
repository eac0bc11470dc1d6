#!/usr/bin/env node
// The hub's fan-out in one process, without sockets: N connections (sinks that only count bytes) on
// `hub.subscribe('bench').pipe(filter(() => true))` (or the bare route with --bare), bursts of 200
// events of ~100 B, CPU time per million deliveries over each burst (publish, fan-out, flush).
// What eventide's JavaScript costs per event per subscriber, free of the kernel and the load
// generator, so that a change to the Observable path can be measured on a busy machine.
//
//   node bench/fanout.mjs [--clients 5000] [--rounds 15] [--bare] [--dist path/to/dist]
//
// CPU time is noisy on a shared machine, and a first burst (a fresh process, before the JIT) runs
// once per process. --callgrind counts that first burst's instructions instead, deterministically:
//
//   valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/tmp/fanout.%p \
//     node --predictable bench/fanout.mjs --clients 1000 --rounds 1 --callgrind
//
// (--predictable compiles on the main thread and schedules GC deterministically, so the same code
// gives the same count to within 0.01 %.) It zeroes valgrind's counters before the first burst and
// dumps them after it: the first burst's count is the `totals:` line of the file ending in `.1`.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { filter } from 'rxjs';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '15' },
    bare: { type: 'boolean', default: false },
    callgrind: { type: 'boolean', default: false },
    dist: { type: 'string', default: new URL('../dist', import.meta.url).pathname },
  },
});
const clients = Number(values.clients);
const rounds = Number(values.rounds);
const EVENTS = 200;
const dist = pathToFileURL(values.dist).href;
const { SseConnection } = await import(`${dist}/connection/connection.js`);
const { HeartbeatScheduler } = await import(`${dist}/connection/heartbeat.js`);
const { toSource } = await import(`${dist}/sources/index.js`);
const { Hub } = await import(`${dist}/hub/index.js`);

/** A transport that takes everything at once and counts it. */
class CountingSink {
  written = 0;
  open(first) {
    if (first !== undefined) this.write(first);
  }
  write(chunk) {
    this.written += chunk.length;
    return true;
  }
  get buffered() {
    return 0;
  }
  get needsDrain() {
    return false;
  }
  onDrain() {}
  onClose() {}
  end() {}
  fail() {}
  destroy() {}
  abort() {}
  owner = undefined;
}

// The stream options and the hooks, in one object as the app gives them. Bounds high enough that
// no burst counts as lagging: this measures live fan-out only.
const settings = {
  heartbeatMs: 0,
  maxBufferedBytes: 1 << 30,
  maxQueuedEvents: 1 << 20,
  heartbeats: new HeartbeatScheduler(),
  onClose() {},
  onError: (err) => console.error(err),
};
const hub = new Hub({ history: { maxEvents: 5000 } });
const sinks = [];
for (let i = 0; i < clients; i++) {
  const sink = new CountingSink();
  sinks.push(sink);
  const connection = new SseConnection(sink, settings);
  const events = hub.subscribe('bench');
  connection.start(toSource(values.bare ? events : events.pipe(filter(() => true))));
}
await new Promise((resolve) => setTimeout(resolve, 200)); // every subscription is live
const pad = 'x'.repeat(60);
const perM = [];
for (let r = 0; r < rounds; r++) {
  if (r === 0 && values.callgrind) execFileSync('callgrind_control', ['--zero', String(process.pid)]);
  const before = process.cpuUsage();
  const published = [];
  for (let i = 0; i < EVENTS; i++) published.push(hub.publish('bench', { data: { seq: i, t: 0, pad } }));
  await Promise.all(published);
  await new Promise((resolve) => setImmediate(resolve)); // the connections' flush pass
  const used = process.cpuUsage(before);
  if (r === 0 && values.callgrind) execFileSync('callgrind_control', ['--dump', String(process.pid)]);
  perM.push((used.user + used.system) / 1e6 / ((clients * EVENTS) / 1e6));
}
const expected = sinks[0].written;
if (!(expected > 0) || sinks.some((s) => s.written !== expected)) throw new Error('some connection did not receive every burst');
const first = perM[0];
perM.sort((a, b) => a - b);
console.log(
  `${values.bare ? 'hub.subscribe()' : 'hub.subscribe().pipe(filter())'}, ${clients} connections x ${EVENTS} events, ${rounds} bursts: ` +
    `CPU per million deliveries: first burst ${first.toFixed(3)} s, min ${perM[0].toFixed(3)} s, median ${perM[perM.length >> 1].toFixed(3)} s`,
);
await hub.close();
process.exit(0);
