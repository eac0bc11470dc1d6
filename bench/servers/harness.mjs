// The control channel every benchmark server shares: the orchestrator sends IPC requests, the
// server publishes inside its own process, and reports memory and CPU on demand.
import { writeFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { Session } from 'node:inspector';
import { nowUs } from '../lib/clock.mjs';

const pads = new Map();
function pad(size) {
  let p = pads.get(size);
  if (p === undefined) {
    // The JSON wrapper `{"seq":N,"t":N,"pad":""}` takes ~40 bytes; the pad fills the rest.
    p = 'x'.repeat(Math.max(0, size - 40));
    pads.set(size, p);
  }
  return p;
}

/** One benchmark payload: a plain object the server under test serializes its own way. */
export function makePayload(seq, size, t) {
  return { seq, t, pad: pad(size) };
}

/**
 * Runs a benchmark server under the orchestrator's control.
 * `impl`: { name, start(): Promise<number port>, subscribers(): number,
 *           publish(payload): void|Promise, publishMany?(payloads): void|Promise, stop?() }
 */
export async function runServer(impl) {
  const port = await impl.start();
  const publishMany = impl.publishMany
    ? (ps) => impl.publishMany(ps)
    : (ps) => {
        let pending;
        for (const p of ps) {
          const r = impl.publish(p);
          if (r && typeof r.then === 'function') (pending ??= []).push(r);
        }
        return pending ? Promise.all(pending) : undefined;
      };

  let steady = null;
  let profiler = null;
  let sampler = null;
  const handlers = {
    async stats() {
      const m = process.memoryUsage();
      const c = process.cpuUsage();
      return {
        rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external,
        arrayBuffers: m.arrayBuffers, cpuUs: c.user + c.system, cpuUserUs: c.user, t: nowUs(), subscribers: impl.subscribers(),
      };
    },
    async exit() {
      // A clean exit, so that --cpu-prof can write its profile.
      setImmediate(() => process.exit(0));
      return {};
    },
    async profileStart() {
      // Profiles only the measured phase (not process start and connection setup).
      profiler = new Session();
      profiler.connect();
      const post = (m, p) => new Promise((res, rej) => profiler.post(m, p, (e, r) => (e ? rej(e) : res(r))));
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
      profiler.postAsync = post;
      return {};
    },
    async profileStop({ file }) {
      if (!profiler) return {};
      const { profile } = await profiler.postAsync('Profiler.stop');
      profiler.disconnect();
      profiler = null;
      writeFileSync(file, JSON.stringify(profile));
      return { file };
    },
    async heapSnapshot({ file }) {
      return { file: writeHeapSnapshot(file) };
    },
    async gc() {
      if (typeof globalThis.gc === 'function') { globalThis.gc(); globalThis.gc(); }
      else if (typeof globalThis.Bun?.gc === 'function') globalThis.Bun.gc(true); // Bun: synchronous full GC
      return {};
    },
    async burst({ count, size, batch }) {
      const payloads = [];
      for (let i = 0; i < count; i++) payloads.push(makePayload(i, size, 0));
      const t0 = nowUs();
      if (!batch || batch >= count) {
        await publishMany(payloads);
      } else {
        // Yield to the event loop between batches so sockets drain: "as fast as the server accepts".
        for (let i = 0; i < count; i += batch) {
          await publishMany(payloads.slice(i, i + batch));
          await new Promise((r) => setImmediate(r));
        }
      }
      return { t0, t1: nowUs() };
    },
    async steadyStart({ rate, size }) {
      const start = nowUs();
      const tickMs = Math.max(10, Math.floor(1000 / rate));
      steady = { published: 0, timer: null };
      const s = steady;
      s.timer = setInterval(() => {
        const due = Math.floor(((nowUs() - start) * rate) / 1e6);
        const batch = [];
        while (s.published < due) batch.push(makePayload(s.published++, size, nowUs()));
        if (batch.length) publishMany(batch);
      }, tickMs);
      return { start };
    },
    async steadyStop() {
      if (!steady) return { published: 0 };
      clearInterval(steady.timer);
      const published = steady.published;
      steady = null;
      return { published };
    },
    async sampleStart({ ms }) {
      sampler = { maxRss: process.memoryUsage.rss(), timer: null };
      const s = sampler;
      s.timer = setInterval(() => { s.maxRss = Math.max(s.maxRss, process.memoryUsage.rss()); }, ms ?? 50);
      return {};
    },
    async sampleStop() {
      if (!sampler) return { maxRss: 0 };
      clearInterval(sampler.timer);
      const r = { maxRss: Math.max(sampler.maxRss, process.memoryUsage.rss()) };
      sampler = null;
      return r;
    },
  };

  process.on('message', async (msg) => {
    const h = handlers[msg.cmd];
    try {
      if (!h) throw new Error(`unknown command ${msg.cmd}`);
      const r = await h(msg);
      process.send({ id: msg.id, ok: true, ...r });
    } catch (err) {
      process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, port, pid: process.pid });
}

/** Headers every hand-written baseline sends. */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};
