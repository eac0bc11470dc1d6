#!/usr/bin/env node
// `npm run bench -- --scale`: many concurrent SSE connections over several eventide processes that
// share one Redis, a broadcast of 100 events reaching every connection, and the plain node:http loop
// holding the same connections as the memory baseline. Not part of `npm test`.
//
//   node bench/scale.mjs [--connections 50000] [--processes 3] [--events 100] [--rate 20]
//                        [--single 15000] [--no-plain]
//
// Each process (server or load) holds at most 20,000 file descriptors, so the load is spread over
// load processes of at most 15,000 connections. Redis is a private redis-server on a free port, so
// its CPU can be read from /proc. Prints a Markdown report; the raw numbers go to $TMPDIR.
// Uses dist/: `npm run bench -- --scale` builds first; run `npm run build` before calling it directly.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const root = here('../');
const args = parseArgs(process.argv.slice(2));
const FD_LIMIT = 20000;
const PER_LOADER = 15000;
const log = (m) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${m}`);

function parseArgs(argv) {
  const a = { connections: 50000, processes: 3, events: 100, rate: 20, single: 15000, plain: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--scale') continue;
    if (k === '--no-plain') a.plain = false;
    else if (['--connections', '--processes', '--events', '--rate', '--single'].includes(k)) a[k.slice(2)] = Number(argv[++i]);
    else {
      console.error(`scale: unknown argument ${k}`);
      process.exit(2);
    }
  }
  return a;
}

function child(script, env, nodeArgs = []) {
  const sh = `ulimit -n ${FD_LIMIT} 2>/dev/null; exec "$0" "$@"`;
  const proc = spawn('sh', ['-c', sh, process.execPath, ...nodeArgs, script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const waiters = new Map();
  proc.on('exit', (code, signal) => {
    if (code !== 0 || signal) log(`${script.split('/').pop()} exited (${signal ?? code})`);
  });
  proc.on('message', (m) => {
    const w = waiters.get(m.cmd);
    if (w) {
      waiters.delete(m.cmd);
      w(m);
    }
  });
  const next = (cmd, timeoutMs = 600_000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${script}: no ${cmd} within ${timeoutMs} ms`)), timeoutMs);
      waiters.set(cmd, (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  return {
    proc,
    next,
    ask(cmd, extra = {}, timeoutMs) {
      const reply = next(cmd, timeoutMs);
      proc.send({ cmd, ...extra });
      return reply;
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      try {
        proc.send({ cmd: 'stop' });
      } catch {
        // already gone
      }
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxclients', '1000'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'PONG') break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, proc, url: `redis://127.0.0.1:${port}` };
}

/** CPU seconds a process has used (utime + stime from /proc). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const mb = (b) => (b / 1048576).toFixed(1);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Opens `connections` over the servers' ports from enough load processes; returns them. */
async function openLoad(ports, connections) {
  const loaders = [];
  for (let left = connections; left > 0; left -= PER_LOADER) {
    loaders.push(child(here('./scale-load.mjs'), { PORTS: ports.join(','), COUNT: String(Math.min(PER_LOADER, left)) }));
  }
  await Promise.all(loaders.map((l) => l.next('ready')));
  const started = Date.now();
  const opened = await Promise.all(loaders.map((l) => l.ask('open')));
  const open = opened.reduce((t, o) => t + o.open, 0);
  const failed = opened.reduce((t, o) => t + o.failed, 0);
  log(`${open} connections open (${failed} failed) in ${((Date.now() - started) / 1000).toFixed(1)} s over ${loaders.length} load processes`);
  return { loaders, open, failed };
}

async function settle() {
  await new Promise((r) => setTimeout(r, 2000));
}

async function plainRun(processes, connections) {
  const servers = Array.from({ length: processes }, () => child(here('./scale-server.ts'), { SCALE_MODE: 'plain' }, ['--expose-gc', '--import', 'tsx']));
  const ports = (await Promise.all(servers.map((s) => s.next('ready')))).map((m) => m.port);
  await settle();
  const idle = await Promise.all(servers.map((s) => s.ask('stats')));
  const load = await openLoad(ports, connections);
  await settle();
  const held = await Promise.all(servers.map((s) => s.ask('stats')));
  await Promise.all(load.loaders.map((l) => l.stop()));
  await Promise.all(servers.map((s) => s.stop()));
  return perProcess(idle, held);
}

function perProcess(idle, held) {
  return held.map((h, i) => ({
    connections: h.connections,
    rssIdle: idle[i].rss,
    rss: h.rss,
    bytesPerConnection: h.connections > 0 ? (h.rss - idle[i].rss) / h.connections : 0,
  }));
}

async function eventideRun(processes, connections, plain) {
  const redis = await startRedis();
  const prefix = `scale:${process.pid}:`;
  const env = { SCALE_REDIS_URL: redis.url, SCALE_PREFIX: prefix };
  const servers = Array.from({ length: processes }, () => child(here('./scale-server.ts'), env, ['--expose-gc', '--import', 'tsx']));
  const ports = (await Promise.all(servers.map((s) => s.next('ready')))).map((m) => m.port);
  await settle();
  const idle = await Promise.all(servers.map((s) => s.ask('stats')));
  const load = await openLoad(ports, connections);
  await settle();
  const held = await Promise.all(servers.map((s) => s.ask('stats')));
  const memory = perProcess(idle, held);

  // The broadcast: `events` events at `rate` per second, published from this process.
  const { Hub } = await import(`${root}dist/index.js`);
  const { redisBackend } = await import(`${root}dist/redis/index.js`);
  const publisher = new Hub({ backend: redisBackend({ url: redis.url, keyPrefix: prefix }) });
  const redisCpu0 = cpuSeconds(redis.proc.pid);
  const serverCpu0 = held.map((h) => h.cpuUs);
  const waits = load.loaders.map((l) => l.next('wait', 900_000));
  const firstPublish = nowUs();
  for (let seq = 0; seq < args.events; seq++) {
    await publisher.publish('broadcast', { data: { t: nowUs(), seq } });
    await new Promise((r) => setTimeout(r, 1000 / args.rate));
  }
  for (const l of load.loaders) l.proc.send({ cmd: 'wait', expect: args.events, timeoutMs: 120_000 });
  const results = await Promise.all(waits);
  const redisCpu = cpuSeconds(redis.proc.pid) - redisCpu0;
  const after = await Promise.all(servers.map((s) => s.ask('stats')));
  const lastAt = Math.max(...results.map((r) => r.lastAt));
  const deliveries = results.reduce((t, r) => t + r.deliveries, 0);
  const complete = results.reduce((t, r) => t + r.complete, 0);
  const seconds = (lastAt - firstPublish) / 1e6;
  const merged = new Map();
  for (const r of results) for (const [b, n] of r.buckets) merged.set(b, (merged.get(b) ?? 0) + n);
  const pct = (q) => {
    const total = [...merged.values()].reduce((t, n) => t + n, 0);
    let seen = 0;
    for (const b of [...merged.keys()].sort((x, y) => x - y)) {
      seen += merged.get(b);
      if (seen >= q * total) return ((b + 1) * results[0].bucketUs) / 1000;
    }
    return NaN;
  };
  await publisher.close();
  await Promise.all(load.loaders.map((l) => l.stop()));
  await Promise.all(servers.map((s) => s.stop()));
  redis.proc.kill();
  return {
    processes,
    connections,
    open: load.open,
    failed: load.failed,
    memory,
    plain,
    deliveries,
    expectedDeliveries: load.open * args.events,
    complete,
    seconds,
    deliveriesPerSecond: deliveries / seconds,
    p50: pct(0.5),
    p99: pct(0.99),
    max: pct(1),
    redisCpuSeconds: redisCpu,
    redisCpuShare: redisCpu / seconds,
    serverCpuSeconds: after.map((a, i) => (a.cpuUs - serverCpu0[i]) / 1e6),
  };
}

function report(r) {
  const lines = [];
  lines.push(`### ${r.connections.toLocaleString('en')} connections over ${r.processes} process${r.processes > 1 ? 'es' : ''}`);
  lines.push('');
  lines.push(`Open: ${r.open} (${r.failed} failed). Broadcast of ${args.events} events at ${args.rate}/s: ${r.deliveries} of ${r.expectedDeliveries} deliveries, ${r.complete} connections got every event.`);
  lines.push('');
  lines.push('| process | connections | RSS idle MB | RSS held MB | bytes / connection | plain node:http bytes / connection | ratio | CPU s (broadcast) |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  r.memory.forEach((m, i) => {
    const p = r.plain?.[i];
    lines.push(`| ${i + 1} | ${m.connections} | ${mb(m.rssIdle)} | ${mb(m.rss)} | ${Math.round(m.bytesPerConnection)} | ${p ? Math.round(p.bytesPerConnection) : '-'} | ${p ? (m.bytesPerConnection / p.bytesPerConnection).toFixed(2) : '-'} | ${r.serverCpuSeconds[i].toFixed(2)} |`);
  });
  lines.push('');
  lines.push(`Deliveries/s: ${Math.round(r.deliveriesPerSecond).toLocaleString('en')} (first publish to last delivery, ${r.seconds.toFixed(2)} s; publishing alone takes ${(args.events / args.rate).toFixed(1)} s). Publish-to-receive: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms. Redis CPU: ${r.redisCpuSeconds.toFixed(2)} s (${(100 * r.redisCpuShare).toFixed(1)}% of one core over the broadcast).`);
  return lines.join('\n');
}

const runs = [];
const load0 = os.loadavg();
for (const [processes, connections] of [[args.processes, args.connections], ...(args.single > 0 ? [[1, args.single]] : [])]) {
  log(`plain node:http baseline: ${connections} connections over ${processes} processes`);
  const plain = args.plain ? await plainRun(processes, connections) : undefined;
  log(`eventide hub on Redis: ${connections} connections over ${processes} processes`);
  runs.push(await eventideRun(processes, connections, plain));
}
const text = [
  `## Scale (\`npm run bench -- --scale\`)`,
  '',
  `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${mb(os.totalmem())} MB, Node ${process.version}; load average at start ${load0.map((l) => l.toFixed(1)).join(' ')} (shared with other work). Each process at most ${FD_LIMIT} file descriptors; load processes of at most ${PER_LOADER} connections; a private redis-server.`,
  '',
  ...runs.map(report),
].join('\n\n');
console.log(text);
const out = `${os.tmpdir()}/eventide-scale-${Date.now()}.json`;
writeFileSync(out, JSON.stringify({ args, runs }, null, 2));
log(`raw numbers: ${out}`);
