// A server process of the scale benchmark (bench/scale.mjs): either eventide (a hub route on the
// shared Redis) or, with SCALE_MODE=plain, the plain node:http loop holding the same connections
// (the memory baseline). Controlled over IPC: 'stats' -> rss, heap, connections; 'snapshot' writes a
// heap snapshot (bench/scale-memory.mjs).
import http from 'node:http';
import { createRequire } from 'node:module';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { Controller, Hub, Sse, createApp, type RequestContext } from '../dist/index.js';
import { redisBackend } from '../dist/redis/index.js';

const require_fs = () => createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const mode = process.env.SCALE_MODE ?? 'eventide';

// SCALE_ALLOC_PROFILE=<path>: samples every allocation (collected ones too) between one 'stats'
// and the next, and writes each such sampling heap profile to <path>.<n> (n counts the 'stats'):
// open it in Chrome DevTools, or sum it by function.
let allocProfile: (() => Promise<void>) | undefined;
if (process.env.SCALE_ALLOC_PROFILE) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  const start = () => session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !process.env.SCALE_ALLOC_PROMOTED } as never);
  await start();
  let n = 0;
  allocProfile = async () => {
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(`${process.env.SCALE_ALLOC_PROFILE}.${n++}`, JSON.stringify(profile));
    await start();
  };
}

let connections: () => number;
let port: number;
let close: () => Promise<void>;

if (mode === 'plain') {
  const subs = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    subs.add(res);
    res.on('close', () => subs.delete(res));
  });
  server.maxConnections = 0;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', 8192, () => r()));
  port = (server.address() as { port: number }).port;
  connections = () => subs.size;
  close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
} else {
  // SCALE_BACKEND=memory: the in-process backend, to tell the hub's own cost from its Redis client's.
  const backend = process.env.SCALE_BACKEND === 'memory' ? undefined : redisBackend({ url: process.env.SCALE_REDIS_URL!, keyPrefix: process.env.SCALE_PREFIX! });
  const hub = new Hub({ backend });
  @Controller()
  class Scale {
    @Sse('events')
    events(ctx: RequestContext) {
      return hub.subscribe('broadcast', { lastEventId: ctx.lastEventId });
    }
  }
  const app = createApp({ controllers: [new Scale()], heartbeatMs: 0 });
  app.server.maxConnections = 0;
  const address = await app.listen(0, '127.0.0.1');
  port = address.port;
  connections = () => app.stats.openStreams;
  close = async () => {
    await app.close();
    await hub.close();
  };
}

/** Resident KB of this process by kind of mapping (Linux): the brk heap, other anonymous mappings by size, files. */
function smaps(): Record<string, number> {
  const { readFileSync } = require_fs();
  const out: Record<string, number> = {};
  let kind = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const size = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024;
      const name = head[3];
      kind = name === '[heap]' ? 'brk' : name === '' ? (size >= 65536 ? 'anon>=64M' : size >= 1024 ? 'anon1M-64M' : 'anon<1M') : name.startsWith('/') ? 'file' : name;
    } else if (line.startsWith('Rss:')) out[kind] = (out[kind] ?? 0) + Number(line.split(/\s+/)[1]);
  }
  return out;
}

process.on('message', async (message: { cmd: string }) => {
  if (message.cmd === 'stats') {
    await allocProfile?.();
    if (global.gc) global.gc();
    if (process.env.SCALE_SETTLE_MS) {
      await new Promise((r) => setTimeout(r, Number(process.env.SCALE_SETTLE_MS)));
      global.gc?.();
    }
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size }]));
    process.send!({ cmd: 'stats', smaps: process.env.SCALE_SMAPS ? smaps() : undefined, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, newSpace, external: m.external, arrayBuffers: m.arrayBuffers, spaces, connections: connections(), cpuUs: cpu.user + cpu.system });
  } else if (message.cmd === 'snapshot') {
    process.send!({ cmd: 'snapshot', path: writeHeapSnapshot((message as { path?: string }).path) });
  } else if (message.cmd === 'stop') {
    await close();
    process.exit(0);
  }
});
process.send!({ cmd: 'ready', port });
