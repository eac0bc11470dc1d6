// The deploy drain end to end: 3 server processes on one Redis behind a loopback load balancer (a
// process of its own, as in a deployment, which hands each new connection to a live server process:
// fixtures/cluster-proxy.ts), EventSource clients in load processes, events published throughout.
// Draining one process over 5 s must keep the reconnect rate to the others under 2 x (its clients /
// 5 s) in every 100 ms window, and every client must end with every event, none duplicated.
// The full size runs by default: 3,000 clients (DRAIN_CLIENTS sets another), about 12 s.
//
// The rate is a timing property, so the load is sized for the 2-core machines the tests run on:
// events are published every 100 ms (DRAIN_PUBLISH_EVERY_MS sets another pace), 30,000 deliveries
// per second to the 3,000 clients. At a 20 ms pace the servers alone take about 1.3 of the 2 cores,
// the starved load processes stall for up to a second and read their streams' ends in bunches,
// and the rate cannot hold whatever the drain does (busiest window 99 and 148 against under 40);
// at 100 ms eight runs gave busiest windows of 26 to 34. The rate is always asserted; with
// DRAIN_RATE=report it is only printed (for a machine busy with other work). Correctness (every
// client reconnects once, every event, no duplicate, in order) is always asserted. The test prints,
// per window, each stage of a move (stream ended, client's new request, its TCP connect as node:net
// reports it, load balancer accept, stream opened) and how long each group of processes stalled in
// it, so a bunched window shows which stage bunched and whose stall did it. DRAIN_JITTER_MS, when
// set, is passed to the drain as its jitterMs (default: the drain's own).
// DRAIN_PROF=<dir> writes a CPU profile of each load process there (node --cpu-prof).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Hub } from '../../src/index.js';
import { redisBackend } from '../../src/redis/index.js';
import { REDIS_URL, deleteKeys, skipUnlessRedis } from '../redis/helpers.js';

const CLIENTS = Number(process.env.DRAIN_CLIENTS ?? 3000);
const PER_LOAD_PROCESS = 500;
const WITHIN_MS = 5000;
const RETRY_MS = 1000;
const WINDOW_MS = 100;
const PUBLISH_EVERY_MS = Number(process.env.DRAIN_PUBLISH_EVERY_MS ?? 100);
const skip = await skipUnlessRedis(REDIS_URL);
const here = new URL('./fixtures/', import.meta.url).pathname;

type Message = { type: string; [key: string]: unknown };

function start(script: string, env: Record<string, string>): ChildProcess {
  return fork(here + script, [], { execArgv: ['--import', 'tsx', ...(script === 'cluster-clients.ts' && process.env.DRAIN_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.DRAIN_PROF] : [])], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** What the test talks to: a child process, or a server process reached through the load balancer. */
type Peer = Pick<ChildProcess, 'send' | 'on' | 'off'>;

/**
 * The server processes are the load balancer's children (a socket can only be handed over a
 * process's own IPC channel): each is reached through it, as a Peer.
 */
function serversBehind(proxy: ChildProcess, count: number): Peer[] {
  const peers = Array.from({ length: count }, (_, index) => {
    const peer = new EventEmitter() as EventEmitter & Peer;
    peer.send = ((message: object) => proxy.send({ type: 'to', index, message })) as Peer['send'];
    return peer;
  });
  proxy.on('message', (m: Message) => {
    if (m.type === 'from') peers[m.index as number]!.emit('message', m.message);
  });
  return peers;
}

function next(child: Peer, type: string, timeoutMs = 60_000): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no '${type}' message within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: Message) => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
  });
}

/** Sends `{ type }` to a child and resolves with its answer of the same type. */
function ask(child: Peer, type: string): Promise<Message> {
  const answer = next(child, type);
  child.send({ type });
  return answer;
}

/** How many of `times` fall in each WINDOW_MS window from `from` (times before it are left out). */
function perWindow(times: readonly number[], from: number): number[] {
  const counts: number[] = [];
  for (const t of times) {
    if (t < from) continue;
    const w = Math.floor((t - from) / WINDOW_MS);
    while (counts.length <= w) counts.push(0);
    counts[w]!++;
  }
  return counts;
}

/** Per WINDOW_MS window from `from`: the most milliseconds of it that any one of `gaps` covered. */
function stalledPerWindow(gaps: readonly [number, number][], from: number, windows: number): number[] {
  const most = new Array<number>(windows).fill(0);
  for (const [start, ms] of gaps) {
    for (let w = Math.max(0, Math.floor((start - from) / WINDOW_MS)); w < windows; w++) {
      const lo = Math.max(start, from + w * WINDOW_MS);
      const hi = Math.min(start + ms, from + (w + 1) * WINDOW_MS);
      if (hi <= lo) break;
      most[w] = Math.max(most[w]!, Math.round(hi - lo));
    }
  }
  return most;
}

test(`draining one of 3 processes moves its clients gradually and loses nothing (${CLIENTS} clients)`, { timeout: 300_000, skip }, async () => {
  const prefix = `drain-test:${randomUUID()}:`;
  const loads: ChildProcess[] = [];
  const publisherBackend = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
  const publisher = new Hub({ backend: publisherBackend });
  const proxy = start('cluster-proxy.ts', { REDIS_URL, KEY_PREFIX: prefix, SERVERS: '3' });
  try {
    const servers = serversBehind(proxy, 3);
    const serversReady = Promise.all(servers.map((s) => next(s, 'ready')));
    const proxyPort = (await next(proxy, 'ready')).port as number;
    await serversReady;

    for (let left = CLIENTS; left > 0; left -= PER_LOAD_PROCESS) {
      loads.push(start('cluster-clients.ts', { URL: `http://127.0.0.1:${proxyPort}/events`, COUNT: String(Math.min(PER_LOAD_PROCESS, left)) }));
    }
    await Promise.all(loads.map((l) => next(l, 'open', 120_000)));

    // Publishing throughout, from before the drain to after it (one event every PUBLISH_EVERY_MS).
    let published = 0;
    let publishing = true;
    const publishLoop = (async () => {
      while (publishing) {
        await publisher.publish('ticks', { data: published });
        published++;
        await new Promise((r) => setTimeout(r, PUBLISH_EVERY_MS));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));

    // The load balancer takes the process out first (its readiness turned false), then it drains.
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    for (const child of [...servers, ...loads, proxy]) child.send({ type: 'mark' });
    proxy.send({ type: 'down', index: 0 });
    await next(proxy, 'down');
    const jitter = process.env.DRAIN_JITTER_MS ? { jitterMs: Number(process.env.DRAIN_JITTER_MS) } : {};
    servers[0]!.send({ type: 'drain', withinMs: WITHIN_MS, retryMs: RETRY_MS, ...jitter });
    const drained = await next(servers[0]!, 'drained', WITHIN_MS + 30_000);
    // Let the last reconnects land, keep publishing a little, then stop.
    await new Promise((r) => setTimeout(r, RETRY_MS * 2));
    for (const l of loads) l.send({ type: 'settled' });
    const testStallMs = stalls.max / 1e6;
    stalls.disable();
    publishing = false;
    await publishLoop;

    const reports = await Promise.all(
      loads.map((l) => {
        const report = next(l, 'report', 120_000);
        l.send({ type: 'report', expect: published, deadlineMs: 60_000 });
        return report;
      }),
    );
    const sum = (key: string) => reports.reduce((t, r) => t + (r[key] as number), 0);
    const opensOf = await Promise.all([1, 2].map((i) => ask(servers[i]!, 'opens')));

    const drainedClients = drained.open as number;
    const drainAt = drained.at as number;
    const reconnects = opensOf.flatMap((m) => m.opens as number[]).filter((t) => t >= drainAt);
    const windows = perWindow(reconnects, drainAt);
    const limit = (2 * drainedClients * WINDOW_MS) / WITHIN_MS;
    const busiest = Math.max(...windows);
    const accepts = await ask(proxy, 'accepts');
    const summary = {
      clients: CLIENTS,
      drainedClients,
      reconnects: reconnects.length,
      spanMs: Math.round(Math.max(...reconnects) - Math.min(...reconnects)),
      busiestWindow: busiest,
      limitPerWindow: limit,
      published,
      complete: sum('complete'),
      duplicated: sum('duplicated'),
      missing: sum('missing'),
      outOfOrder: sum('outOfOrder'),
      drainTookMs: Math.round((drained.done as number) - drainAt),
      longestStallMs: Math.round(
        Math.max(testStallMs, drained.stallMs as number, accepts.stallMs as number, ...opensOf.map((m) => m.stallMs as number), ...reports.map((r) => r.stallMs as number)),
      ),
    };
    console.log(`# cluster drain: ${JSON.stringify(summary)}`);
    const stallOf = (ms: unknown) => Math.round(ms as number);
    console.log(
      `# longest event-loop stall per process, ms: test ${stallOf(testStallMs)}, draining server ${stallOf(drained.stallMs)}, ` +
        `other servers ${opensOf.map((m) => stallOf(m.stallMs)).join(' / ')}, proxy ${stallOf(accepts.stallMs)} (it used ${((accepts.cpuShare as number) * 100).toFixed(0)} % of a core), ` +
        `load processes ${reports.map((r) => stallOf(r.stallMs)).join(' / ')}`,
    );
    const shareOf = (share: unknown) => `${((share as number) * 100).toFixed(0)}`;
    console.log(
      `# CPU over the drain, % of one core: draining server ${shareOf(drained.cpuShare)}, other servers ${opensOf.map((m) => shareOf(m.cpuShare)).join(' / ')}, ` +
        `load processes ${reports.map((r) => shareOf(r.cpuShare)).join(' / ')}`,
    );
    // Each step of a move, per window from the drain start: where reconnects bunch shows which stage did it.
    console.log(`# per ${WINDOW_MS} ms window from the drain start:`);
    console.log(`#   streams ended by the draining process: ${perWindow(drained.closes as number[], drainAt).join(' ')}`);
    console.log(`#   clients' reconnection requests:        ${perWindow(reports.flatMap((r) => r.attempts as number[]), drainAt).join(' ')}`);
    console.log(`#   clients' before-connect:               ${perWindow(reports.flatMap((r) => r.beforeConnects as number[]), drainAt).join(' ')}`);
    console.log(`#   clients' connected:                    ${perWindow(reports.flatMap((r) => r.connects as number[]), drainAt).join(' ')}`);
    console.log(`#   connections accepted by the proxy:     ${perWindow(accepts.accepts as number[], drainAt).join(' ')}`);
    console.log(`#   streams opened by the other processes: ${windows.join(' ')}`);
    // Which process stalled when (event-loop gaps over 40 ms, the ms of each window they covered).
    type Gaps = [number, number][];
    const shown = windows.length;
    console.log(`#   stalled ms, draining server:           ${stalledPerWindow(drained.gaps as Gaps, drainAt, shown).join(' ')}`);
    console.log(`#   stalled ms, other servers:             ${stalledPerWindow(opensOf.flatMap((m) => m.gaps as Gaps), drainAt, shown).join(' ')}`);
    console.log(`#   stalled ms, load processes:            ${stalledPerWindow(reports.flatMap((r) => r.gaps as Gaps), drainAt, shown).join(' ')}`);
    console.log(`#   stalled ms, load balancer:             ${stalledPerWindow(accepts.gaps as Gaps, drainAt, shown).join(' ')}`);

    assert.ok(drainedClients >= CLIENTS / 3 - 2, `the drained process held about a third of the clients (${drainedClients})`);
    assert.equal(reconnects.length, drainedClients, 'every client of the drained process reconnected to the others, once');
    if (process.env.DRAIN_RATE !== 'report') assert.ok(busiest < limit, `busiest 100 ms window had ${busiest} reconnects; the limit is under ${limit}`);
    else console.log(`# reconnect rate only reported (DRAIN_RATE=report): busiest window ${busiest}, limit under ${limit}`);
    assert.equal(summary.complete, CLIENTS, 'every client has every event');
    assert.equal(summary.duplicated, 0);
    assert.equal(summary.outOfOrder, 0);
  } finally {
    for (const l of loads) l.kill();
    // The load balancer stops its servers ('stop', SIGKILL after 10 s), then exits.
    if (proxy.exitCode === null && proxy.signalCode === null) {
      const exited = new Promise((r) => proxy.once('exit', r));
      if (proxy.connected) proxy.send({ type: 'stop' });
      const timer = setTimeout(() => proxy.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await publisher.close();
    await deleteKeys(prefix, REDIS_URL);
  }
});
