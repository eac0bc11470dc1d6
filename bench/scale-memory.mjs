#!/usr/bin/env node
// Memory per held connection, one server process: the eventide hub route against the plain
// node:http loop. Opens N connections, measures, opens N more, measures again; the difference
// over N is the cost of one connection (idle process memory cancels out). With --snapshot, writes
// a heap snapshot at both points and prints what grew, by constructor, per connection.
//
//   node bench/scale-memory.mjs [--connections 2000] [--mode eventide|plain|both] [--snapshot] [--keep]
//
// Heap per connection is steady from a few thousand connections; RSS needs more (V8 and malloc
// grow in steps): 4,000 is a good size on a small machine, and `bench/scale.mjs` is the reference
// for RSS. Writing a snapshot pauses the server for seconds (the hub may warn that Redis did not
// answer meanwhile; it reconnects by itself). --keep leaves the snapshots in $TMPDIR.
// Uses dist/ (run `npm run build` first) and the Redis at $REDIS_URL (default redis://127.0.0.1:6379).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const args = { connections: 2000, mode: 'both', snapshot: false, keep: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--connections') args.connections = Number(argv[++i]);
  else if (argv[i] === '--mode') args.mode = argv[++i];
  else if (argv[i] === '--snapshot') args.snapshot = true;
  else if (argv[i] === '--keep') args.keep = args.snapshot = true;
  else {
    console.error(`scale-memory: unknown argument ${argv[i]}; use --connections N, --mode eventide|plain|both, --snapshot, --keep`);
    process.exit(2);
  }
}
if (!(args.connections > 0) || !['eventide', 'plain', 'both'].includes(args.mode)) {
  console.error('scale-memory: --connections must be a positive number and --mode eventide, plain or both');
  process.exit(2);
}

function child(script, env, nodeArgs = []) {
  const proc = spawn(process.execPath, [...nodeArgs, script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const waiters = new Map();
  proc.on('message', (m) => {
    const w = waiters.get(m.cmd);
    if (w) {
      waiters.delete(m.cmd);
      w(m);
    }
  });
  const next = (cmd) => new Promise((resolve) => waiters.set(cmd, resolve));
  return {
    next,
    ask(cmd, extra = {}) {
      const reply = next(cmd);
      proc.send({ cmd, ...extra });
      return reply;
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.send({ cmd: 'stop' });
      await exited;
    },
  };
}

/** Self size summed by node type and name: a coarse profile of a heap snapshot. */
function profile(path) {
  const snap = JSON.parse(readFileSync(path, 'utf8'));
  const { node_fields: fields, node_types: types } = snap.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const typeNames = types[0];
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = typeNames[nodes[i + typeAt]];
    const name = type === 'object' || type === 'closure' || type === 'native' ? snap.strings[nodes[i + nameAt]] : '';
    const key = `${type}:${name}`;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt];
    out.set(key, entry);
  }
  return out;
}

async function measure(mode) {
  const env = { SCALE_MODE: mode, SCALE_REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', SCALE_PREFIX: `scale-memory:${process.pid}:` };
  const server = child(here('./scale-server.ts'), env, ['--expose-gc', '--import', 'tsx']);
  const { port } = await server.next('ready');
  const points = [];
  const loaders = [];
  try {
    for (let step = 0; step < 3; step++) {
      if (step > 0) {
        const loader = child(here('./scale-load.mjs'), { PORTS: String(port), COUNT: String(args.connections) });
        loaders.push(loader);
        await loader.next('ready');
        const opened = await loader.ask('open');
        if (opened.failed > 0) throw new Error(`${opened.failed} of ${args.connections} connections failed to open; try fewer`);
      }
      // The server settles (connections' first writes, timers) before it is measured.
      await new Promise((r) => setTimeout(r, 1000));
      const stats = await server.ask('stats');
      if (args.snapshot && step > 0) stats.snapshot = (await server.ask('snapshot', { path: `${os.tmpdir()}/scale-memory-${mode}-${step}.heapsnapshot` })).path;
      points.push(stats);
    }
  } finally {
    for (const l of loaders) await l.stop();
    await server.stop();
  }
  const [, a, b] = points;
  const n = b.connections - a.connections;
  const result = { mode, connections: [a.connections, b.connections], rssPerConnection: (b.rss - a.rss) / n, heapPerConnection: (b.heapUsed - a.heapUsed) / n, heapTotalPerConnection: (b.heapTotal - a.heapTotal) / n, newSpace: [a.newSpace, b.newSpace], externalPerConnection: (b.external - a.external) / n };
  if (process.env.SCALE_SPACES) {
    for (const name of Object.keys(b.spaces)) {
      const x = a.spaces[name], y = b.spaces[name];
      console.log(`  ${name}: size ${Math.round((y.size - x.size) / n)} B, used ${Math.round((y.used - x.used) / n)} B, physical ${Math.round((y.physical - x.physical) / n)} B per connection`);
    }
  }
  if (b.smaps) {
    const kinds = new Set([...Object.keys(a.smaps), ...Object.keys(b.smaps)]);
    console.log('  resident per connection by mapping: ' + [...kinds].map((k) => `${k} ${Math.round((((b.smaps[k] ?? 0) - (a.smaps[k] ?? 0)) * 1024) / n)} B`).join(', '));
  }
  if (args.snapshot) {
    const before = profile(a.snapshot);
    const after = profile(b.snapshot);
    const grew = [];
    for (const [key, e] of after) {
      const was = before.get(key) ?? { count: 0, bytes: 0 };
      if (e.bytes - was.bytes > 16 * n) grew.push({ key, perConnection: Math.round((e.bytes - was.bytes) / n), countPerConnection: +((e.count - was.count) / n).toFixed(2) });
    }
    grew.sort((x, y) => y.perConnection - x.perConnection);
    result.grew = grew.slice(0, 40);
    if (args.keep) console.error(`snapshots kept: ${a.snapshot} ${b.snapshot}`);
    else {
      rmSync(a.snapshot);
      rmSync(b.snapshot);
    }
  }
  return result;
}

for (const mode of args.mode === 'both' ? ['plain', 'eventide'] : [args.mode]) {
  const r = await measure(mode);
  console.log(`${mode}: ${r.connections[0]} -> ${r.connections[1]} connections: RSS ${Math.round(r.rssPerConnection)} B, heap ${Math.round(r.heapPerConnection)} B (V8 heap committed ${Math.round(r.heapTotalPerConnection)} B; new space ${(r.newSpace[0] / 2 ** 20).toFixed(1)} -> ${(r.newSpace[1] / 2 ** 20).toFixed(1)} MB), external ${Math.round(r.externalPerConnection)} B per connection`);
  if (r.grew) for (const g of r.grew) console.log(`  ${g.perConnection.toString().padStart(6)} B  ${g.countPerConnection.toString().padStart(5)}x  ${g.key}`);
}
