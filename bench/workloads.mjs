// The workloads of issue 6. Each takes a server spec and the shared load generator, starts a fresh
// server process, drives it, kills it, and returns plain numbers (NaN plus a `note` when it could not
// finish within its deadline).
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild } from './lib/child.mjs';

const PAYLOAD = 100; // bytes of JSON per event (the issue's ~100 B)

export const SIZES = {
  full: {
    burst: { clients: [1000, 5000], events: 200, deadlineMs: 60000 },
    steady: { clients: 5000, rate: 5, windowMs: 10000, sampleEvery: 50, ladder: [5, 20, 50, 100, 200, 400, 800], ladderWindowMs: 3000, graceMs: 1500 },
    seed: { clients: 5000, windowMs: 10000, warmMs: 1100 },
    idle: { clients: 10000 },
    slow: { readers: 200, events: 2000, size: 4096, batch: 0, stallWaitMs: 2500, deadlineMs: 60000 },
    redis: { clients: [1000, 5000], events: 200, processes: 3, deadlineMs: 60000 },
  },
  quick: {
    burst: { clients: [200], events: 50, deadlineMs: 10000 },
    steady: { clients: 200, rate: 5, windowMs: 800, sampleEvery: 10, ladder: [5, 50], ladderWindowMs: 400, graceMs: 300 },
    seed: { clients: 200, windowMs: 1200, warmMs: 0 },
    idle: { clients: 300 },
    slow: { readers: 20, events: 1000, size: 4096, batch: 0, stallWaitMs: 1500, deadlineMs: 8000 },
    redis: { clients: [300], events: 50, processes: 3, deadlineMs: 10000 },
  },
};

async function withServer(spec, gen, fn) {
  // A server on another runtime (Bun, Deno) brings its binary and arguments; node gets --expose-gc.
  const nodeArgs = spec.execPath ? spec.execArgs : ['--expose-gc', ...(spec.nodeArgs ?? [])];
  const srv = startChild(spec.script, { nodeArgs, execPath: spec.execPath, label: spec.name, env: spec.env });
  try {
    const { port } = await srv.waitReady(30000);
    return await fn(srv, port);
  } finally {
    // The clients reset their connections before the server dies: no side is left in TIME_WAIT, so
    // thousands of connections per phase do not exhaust the ephemeral ports over a long run.
    try { await gen.request('closeAll', {}, 30000); } catch { /* reported by the next phase */ }
    await srv.kill();
  }
}

/** With --prof, a CPU profile of the server over the measured phase only. */
async function profile(spec, srv, phase, what) {
  if (!spec.profiling) return;
  if (what === 'start') return srv.request('profileStart', {}, 10000).catch(() => {});
  const file = `${spec.profileDir}/${spec.name}-${phase}-${Date.now()}.cpuprofile`;
  await srv.request('profileStop', { file }, 30000).catch(() => {});
}

/** Opens `n` connections and waits until the server itself counts them as subscribers. */
async function connectAll(gen, srv, port, path, n, { sampleEvery = 0, deadlineMs = 60000, extra = 0 } = {}) {
  const c = await gen.request('connect', { port, path, n, sampleEvery, deadlineMs }, deadlineMs + 10000);
  const until = Date.now() + 10000;
  let subs = 0;
  while (Date.now() < until) {
    subs = (await srv.request('stats')).subscribers;
    if (subs >= c.ok + extra) break;
    await sleep(50);
  }
  return { ...c, subscribers: subs };
}

function connectNote(c, n) {
  return c.ok < n ? `only ${c.ok}/${n} connected (${c.failed} failed)` : null;
}

const pct = (a, b) => (b ? (100 * a) / b : NaN);

/**
 * One measured burst to the `n` connected clients: deliveries/s, and the server's CPU time (user +
 * system) from the burst command to the last delivery, per million deliveries.
 */
async function measureBurst(spec, srv, gen, n, cfg, phase) {
  await gen.request('reset');
  const target = n * cfg.events;
  await profile(spec, srv, phase, 'start');
  const s0 = await srv.request('stats');
  let pub;
  try {
    pub = await srv.request('burst', { count: cfg.events, size: PAYLOAD }, cfg.deadlineMs);
  } catch (err) {
    return { note: `publish did not return: ${err.message}` };
  }
  // One deadline for publishing and delivering together.
  const left = Math.max(1000, cfg.deadlineMs - (pub.t1 - pub.t0) / 1000);
  const r = await gen.request('expect', { target, deadlineMs: left }, left + 10000);
  let s1;
  try { s1 = await srv.request('stats', {}, 10000); } catch { /* reported as NaN */ }
  await profile(spec, srv, phase, 'stop');
  const rss = s1?.rss ?? NaN;
  if (!r.done) return { rss, delivered: pct(r.total, target), note: `${pct(r.total, target).toFixed(1)} % delivered in ${cfg.deadlineMs / 1000} s` };
  // CPU seconds per million deliveries: what one event to one client costs the server, whatever
  // limits the rate (the ceiling's rate is bounded by the one load-generator process).
  const perM = (us) => us / 1e6 / (target / 1e6);
  return {
    rss,
    dps: target / ((r.tDone - pub.t0) / 1e6),
    cpuSPerM: s1 ? perM(s1.cpuUs - s0.cpuUs) : NaN,
    // Of which in user space (the rest is the kernel's: mostly the socket writes).
    userSPerM: s1?.cpuUserUs !== undefined ? perM(s1.cpuUserUs - s0.cpuUserUs) : NaN,
    publishMs: (pub.t1 - pub.t0) / 1000,
  };
}

async function burstOnce(spec, gen, n, cfg) {
  return withServer(spec, gen, async (srv, port) => {
    const c = await connectAll(gen, srv, port, '/broadcast', n, { deadlineMs: cfg.deadlineMs });
    const note = connectNote(c, n);
    if (note) return { dps: NaN, rssMB: NaN, note };
    // The first burst meets a fresh process (its code not yet compiled by the JIT); a second one
    // to the same clients shows what a delivery costs a warm server.
    const cold = await measureBurst(spec, srv, gen, n, cfg, `burst${n}`);
    if (cold.note) return { dps: NaN, rssMB: cold.rss / 2 ** 20, cpuSPerM: NaN, delivered: cold.delivered, note: cold.note };
    const warm = await measureBurst(spec, srv, gen, n, cfg, `burst${n}-warm`);
    return {
      dps: cold.dps,
      rssMB: cold.rss / 2 ** 20,
      cpuSPerM: cold.cpuSPerM,
      userSPerM: cold.userSPerM,
      publishMs: cold.publishMs,
      dpsWarm: warm.dps ?? NaN,
      cpuSPerMWarm: warm.cpuSPerM ?? NaN,
      userSPerMWarm: warm.userSPerM ?? NaN,
      ...(warm.note ? { note: `second burst: ${warm.note}` } : {}),
    };
  });
}

export const WORKLOADS = {
  burst: {
    title: 'Broadcast burst',
    async run(spec, gen, cfg) {
      const out = {};
      for (const n of cfg.clients) {
        const r = await burstOnce(spec, gen, n, cfg);
        await gen.request('closeAll');
        out[`burst${n}`] = r;
      }
      return out;
    },
  },

  steady: {
    title: 'Steady broadcast',
    async run(spec, gen, cfg, { ladder = true } = {}) {
      return withServer(spec, gen, async (srv, port) => {
        try {
          const n = cfg.clients;
          const c = await connectAll(gen, srv, port, '/broadcast', n, { sampleEvery: cfg.sampleEvery });
          const note = connectNote(c, n);
          if (note) return { steady: { p50: NaN, p99: NaN, max: NaN, cpuPct: NaN, note } };
          const phase = async (rate, windowMs) => {
            await gen.request('reset');
            const s0 = await srv.request('stats');
            await srv.request('steadyStart', { rate, size: PAYLOAD });
            await sleep(windowMs);
            let published, s1;
            try {
              ({ published } = await srv.request('steadyStop', {}, 10000));
              s1 = await srv.request('stats', {}, 10000);
            } catch (err) {
              return { ok: false, p50: NaN, p99: NaN, max: NaN, cpuPct: NaN, note: `server unresponsive at ${rate}/s: ${err.message}` };
            }
            const target = published * n;
            const r = await gen.request('expect', { target, deadlineMs: cfg.graceMs }, cfg.graceMs + 10000);
            const lat = await gen.request('latency');
            const cpuPct = (100 * (s1.cpuUs - s0.cpuUs)) / (s1.t - s0.t);
            const delivered = pct(r.total, target);
            return { ok: r.done && lat.p99 < 1000, p50: lat.p50, p99: lat.p99, max: lat.max, cpuPct, delivered, published };
          };
          await profile(spec, srv, 'steady', 'start');
          const main = await phase(cfg.rate, cfg.windowMs);
          await profile(spec, srv, 'steady', 'stop');
          if (main.delivered < 100) main.note = `${main.delivered.toFixed(1)} % delivered within ${cfg.graceMs} ms of the last publish`;
          const res = { steady: main };
          if (ladder) {
            let sustained = 0;
            let failed = null;
            for (const rate of cfg.ladder) {
              // The main phase is the longer run of its own rate: the ladder takes its verdict.
              const r = rate === cfg.rate ? main : await phase(rate, cfg.ladderWindowMs);
              if (!r.ok) { failed = { rate, ...r }; break; }
              sustained = rate;
            }
            res.ladder = {
              sustainable: sustained,
              note: failed
                ? `at ${failed.rate}/s: ${Number.isFinite(failed.delivered) ? failed.delivered.toFixed(1) : '?'} % delivered, p99 ${Number.isFinite(failed.p99) ? Math.round(failed.p99) : '?'} ms${failed.note ? `; ${failed.note}` : ''}`
                : `all rates up to ${sustained}/s held`,
            };
          }
          return res;
        } finally {
          await gen.request('closeAll');
        }
      });
    },
  },

  seed: {
    title: 'Seed workload',
    async run(spec, gen, cfg) {
      return withServer(spec, gen, async (srv, port) => {
        try {
          const n = cfg.clients;
          const c = await connectAll(gen, srv, port, '/seed', n);
          const note = connectNote(c, n);
          if (note) return { seed: { cpuPct: NaN, rssMB: NaN, note } };
          await sleep(cfg.warmMs); // every per-connection interval has started ticking
          await gen.request('reset');
          await profile(spec, srv, 'seed', 'start');
          const s0 = await srv.request('stats');
          await sleep(cfg.windowMs);
          const s1 = await srv.request('stats', {}, 10000);
          await profile(spec, srv, 'seed', 'stop');
          const k = await gen.request('counts');
          const expected = (n * (s1.t - s0.t)) / 1e6;
          return {
            seed: {
              cpuPct: (100 * (s1.cpuUs - s0.cpuUs)) / (s1.t - s0.t),
              rssMB: s1.rss / 2 ** 20,
              delivered: pct(k.total, expected),
            },
          };
        } finally {
          await gen.request('closeAll');
        }
      });
    },
  },

  idle: {
    title: 'Idle connections',
    async run(spec, gen, cfg) {
      return withServer(spec, gen, async (srv, port) => {
        try {
          const n = cfg.clients;
          await srv.request('gc');
          const s0 = await srv.request('stats');
          const c = await connectAll(gen, srv, port, '/broadcast', n, { concurrency: 200 });
          const note = connectNote(c, n);
          if (note) return { idle: { rssPerConnKB: NaN, heapPerConnKB: NaN, setupRate: NaN, note } };
          await sleep(500);
          await srv.request('gc');
          const s1 = await srv.request('stats');
          return {
            idle: {
              rssPerConnKB: (s1.rss - s0.rss) / n / 1024,
              heapPerConnKB: (s1.heapUsed - s0.heapUsed) / n / 1024,
              setupRate: c.ratePerS,
              rssMB: s1.rss / 2 ** 20,
            },
          };
        } finally {
          await gen.request('closeAll');
        }
      });
    },
  },

  slow: {
    title: 'Slow client',
    async run(spec, gen, cfg) {
      const phase = (withSlow) =>
        withServer(spec, gen, async (srv, port) => {
          try {
            const n = cfg.readers;
            const c = await connectAll(gen, srv, port, '/broadcast', n, { extra: 0 });
            const note = connectNote(c, n);
            if (note) return { dps: NaN, note };
            if (withSlow) {
              await gen.request('connectSlow', { port, path: '/broadcast' });
              const until = Date.now() + 5000;
              while ((await srv.request('stats')).subscribers < n + 1 && Date.now() < until) await sleep(20);
            }
            await gen.request('reset');
            const s0 = await srv.request('stats');
            await srv.request('sampleStart', { ms: 20 });
            await profile(spec, srv, withSlow ? 'slow-with' : 'slow-without', 'start');
            const target = n * cfg.events;
            let pub;
            try {
              pub = await srv.request('burst', { count: cfg.events, size: cfg.size, batch: cfg.batch }, cfg.deadlineMs);
            } catch (err) {
              return { dps: NaN, note: `publish did not return: ${err.message}` };
            }
            const r = await gen.request('expect', { target, deadlineMs: cfg.deadlineMs }, cfg.deadlineMs + 10000);
            await profile(spec, srv, withSlow ? 'slow-with' : 'slow-without', 'stop');
            const { maxRss } = await srv.request('sampleStop', {}, 10000);
            await sleep(200);
            const s1 = await srv.request('stats', {}, 10000);
            const out = {
              dps: r.done ? target / ((r.tDone - pub.t0) / 1e6) : NaN,
              delivered: pct(r.total, target),
              extraRssMB: (maxRss - s0.rss) / 2 ** 20,
              rssAfterMB: s1.rss / 2 ** 20,
            };
            if (!r.done) out.note = `${out.delivered.toFixed(1)} % delivered to the readers`;
            if (withSlow) {
              // Give a server with a no-progress policy (the hub's stallTimeoutMs, 1 s in the bench
              // servers) its time to act on the client that never reads, then read it.
              if (cfg.stallWaitMs) await sleep(cfg.stallWaitMs);
              const d = await gen.request('drainSlow', { expected: cfg.events, deadlineMs: 5000 }, 20000);
              const s = d.slow[0];
              out.slowReceived = s.received;
              out.slowClosed = s.closed;
              out.slowOutcome = s.closed
                ? `closed by the server; ${s.received}/${cfg.events} events had reached it`
                : `kept open; ${s.received}/${cfg.events} events once it read`;
            }
            return out;
          } finally {
            await gen.request('closeAll');
          }
        });
      const without = await phase(false);
      const withSlow = await phase(true);
      return {
        slow: {
          dpsWithout: without.dps,
          dpsWith: withSlow.dps,
          ratio: withSlow.dps / without.dps,
          extraRssMB: withSlow.extraRssMB,
          extraRssWithoutMB: without.extraRssMB,
          rssAfterMB: withSlow.rssAfterMB,
          outcome: withSlow.slowOutcome,
          note: [without.note && `without: ${without.note}`, withSlow.note && `with: ${withSlow.note}`].filter(Boolean).join('; ') || undefined,
        },
      };
    },
  },
};

async function redisCleanup(prefix) {
  const { default: Redis } = await import('ioredis');
  const r = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Workload 6: the broadcast burst across several processes sharing one Redis (publishing in one). */
WORKLOADS.redis = {
  title: 'Broadcast burst across processes on one Redis',
  only: ['eventide-redis', 'eventide-mercure-redis'],
  async run(spec, gen, cfg) {
    const out = {};
    for (const n of cfg.clients) {
      const prefix = `eventide-bench:${process.pid}:${Date.now()}:`;
      if (!(await redisCleanup(prefix))) {
        out[`redis${n}`] = { dps: NaN, rssMB: NaN, note: 'Redis not reachable at 127.0.0.1:6379' };
        continue;
      }
      const procs = [];
      try {
        for (let i = 0; i < cfg.processes; i++) {
          procs.push(startChild(spec.script, { nodeArgs: ['--expose-gc'], label: `${spec.name}#${i}`, env: { BENCH_REDIS_PREFIX: prefix } }));
        }
        const ports = (await Promise.all(procs.map((p) => p.waitReady(30000)))).map((r) => r.port);
        let ok = 0;
        for (let i = 0; i < procs.length; i++) {
          const share = Math.floor(n / procs.length) + (i < n % procs.length ? 1 : 0);
          const c = await connectAll(gen, procs[i], ports[i], '/broadcast', share, { deadlineMs: cfg.deadlineMs });
          ok += c.ok;
        }
        if (ok < n) { out[`redis${n}`] = { dps: NaN, rssMB: NaN, note: `only ${ok}/${n} connected` }; continue; }
        await sleep(300); // every subscription has attached to the Redis follower
        await gen.request('reset');
        const target = n * cfg.events;
        const pub = await procs[0].request('burst', { count: cfg.events, size: PAYLOAD }, cfg.deadlineMs);
        const left = Math.max(1000, cfg.deadlineMs - (pub.t1 - pub.t0) / 1000);
        const r = await gen.request('expect', { target, deadlineMs: left }, left + 10000);
        const rss = Math.max(...(await Promise.all(procs.map((p) => p.request('stats', {}, 10000).then((s) => s.rss, () => NaN)))));
        out[`redis${n}`] = r.done
          ? { dps: target / ((r.tDone - pub.t0) / 1e6), rssMB: rss / 2 ** 20, publishMs: (pub.t1 - pub.t0) / 1000 }
          : { dps: NaN, rssMB: rss / 2 ** 20, note: `${pct(r.total, target).toFixed(1)} % delivered in ${cfg.deadlineMs / 1000} s` };
      } catch (err) {
        out[`redis${n}`] = { dps: NaN, rssMB: NaN, note: err.message };
      } finally {
        try { await gen.request('closeAll', {}, 30000); } catch { /* next phase reports */ }
        await Promise.all(procs.map((p) => p.kill()));
        await redisCleanup(prefix);
      }
    }
    return out;
  },
};
