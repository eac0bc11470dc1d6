// A client that reads is never cut: bursts published in one synchronous loop to fast readers in
// another process, on the bare route and through pass-through operators, over memory and Redis.
// Every reader gets every event once, in order; none is closed; the server's memory stays within
// the history plus the high-water mark per subscriber.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { filter, map, NEVER, takeUntil, tap } from 'rxjs';
import { Controller, Sse, createApp, type App, type RequestContext } from '../../src/index.js';
import { Hub, type HubBackend } from '../../src/hub/index.js';
import { CATCH_UP_SLICE_BYTES } from '../../src/hub/subscription.js';
import { redisBackend } from '../../src/redis/index.js';
import { deleteKeys, REDIS_URL, skipUnlessRedis, uniquePrefix } from '../redis/helpers.js';

const FIXTURE = new URL('./fixtures/readers.mjs', import.meta.url).pathname;
const PAYLOAD = 'x'.repeat(4096);
const READERS = 20;
const MAX_BUFFERED = 2 * 1024 * 1024; // the connection's default slow-client bound
const HIGH_WATER = MAX_BUFFERED / 4; // where a hub subscription stops pushing
const SLICE_BYTES = CATCH_UP_SLICE_BYTES;

interface ReaderReport {
  count: number;
  errorCount: number;
  errors: string[];
  gaps: { atCount: number; data: { channels: string[]; lastEventId: string | null } }[];
  closed: boolean;
  done: boolean;
  firstN: number | undefined;
}

/** Starts the reader process; resolves once every stream has its anchor. */
async function startReaders(env: Record<string, string>): Promise<{ child: ChildProcess; report: Promise<ReaderReport[]> }> {
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = createInterface({ input: child.stdout! });
  let onReady: () => void;
  let onFail: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((onReady = resolve), (onFail = reject)));
  const report = new Promise<ReaderReport[]>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') onReady();
      else if (line.startsWith('{')) resolve((JSON.parse(line) as { readers: ReaderReport[] }).readers);
    });
    child.once('exit', (code) => {
      const err = new Error(`the reader process exited (${code}) without a report:\n${stderr}`);
      onFail(err);
      reject(err);
    });
  });
  report.catch(() => undefined);
  await ready;
  return { child, report };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** An app with the bare route and the operator route over one hub. */
async function serve(hub: Hub): Promise<App> {
  @Controller()
  class BurstController {
    @Sse('bare')
    bare(ctx: RequestContext) {
      return hub.subscribe('burst', { lastEventId: ctx.lastEventId });
    }

    @Sse('piped')
    piped(ctx: RequestContext) {
      return hub.subscribe('burst', { lastEventId: ctx.lastEventId }).pipe(
        filter(() => true),
        map((e) => e),
        tap(() => undefined),
        takeUntil(NEVER),
      );
    }
  }
  const app = createApp({ controllers: [new BurstController()], onError: () => undefined });
  await app.listen(0, '127.0.0.1');
  return app;
}

/**
 * @param copies - how many copies of the history this process holds with this backend: memory
 *   keeps the published text, its encoded body and its single-channel frame (3); Redis adds the
 *   publish commands in flight and the live follower's parsed reply (5).
 */
function describeBursts(name: string, copies: number, makeBackend: () => Promise<{ backend: HubBackend; cleanup(): Promise<void> }>, skip: () => false | string) {
  describe(`bursts published in one loop to readers in another process (${name})`, () => {
    for (const events of [1_000, 10_000]) {
      for (const route of ['bare', 'piped']) {
        const mb = (events * PAYLOAD.length) / 1e6;
        it(`${route} route, ${mb} MB burst: every reader gets every event once, none is closed, memory bounded`, { timeout: 180_000, skip: skip() }, async () => {
          const { backend, cleanup } = await makeBackend();
          const hub = new Hub({ backend, history: { maxEvents: events * 2 } });
          const app = await serve(hub);
          let child: ChildProcess | undefined;
          try {
            const readers = await startReaders({ URL: `${app.url}/${route}`, CLIENTS: String(READERS), EXPECT: String(events) });
            child = readers.child;
            const rssBefore = process.memoryUsage().rss;
            let rssPeak = rssBefore;
            const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
            const started = performance.now();
            try {
              // The burst as users write it: every publish started in one synchronous loop.
              await Promise.all(Array.from({ length: events }, (_, n) => hub.publish('burst', { data: `${n}:${PAYLOAD}` })));
              const reports = await withDeadline(readers.report, 150_000, 'every reader to receive the burst');
              const seconds = (performance.now() - started) / 1000;
              for (const [i, r] of reports.entries()) {
                assert.equal(r.errorCount, 0, `reader ${i}: in order, no duplicate (${r.errors.join('; ')})`);
                assert.deepEqual(r.gaps, [], `reader ${i}: no gap signal`);
                assert.equal(r.firstN, 0, `reader ${i}: starts at the first event`);
                assert.equal(r.count, events, `reader ${i}: every event`);
                assert.equal(r.done, true, `reader ${i}: finished while connected`);
              }
              assert.equal(app.stats.slowClientsClosed, 0, 'no reader was closed as slow');
              // The bound: the history as this process holds it (`copies`), per subscriber the
              // high-water mark plus two catch-up slices (one being emitted, one read ahead), and
              // 64 MiB for the runtime's garbage between collections. Nothing scales with
              // subscribers x burst (that would be 20 x the burst here).
              const historyBytes = events * PAYLOAD.length;
              const bound = copies * historyBytes + READERS * (HIGH_WATER + 2 * SLICE_BYTES) + 64 * 1024 * 1024;
              const grew = rssPeak - rssBefore;
              console.log(
                `# ${name} ${route} ${mb} MB x ${READERS} readers: ${seconds.toFixed(2)} s, ` +
                  `${((events * READERS) / seconds / 1000).toFixed(0)}k deliveries/s, RSS +${(grew / 2 ** 20).toFixed(1)} MiB (bound ${(bound / 2 ** 20).toFixed(1)} MiB)`,
              );
              assert.ok(grew <= bound, `RSS grew ${(grew / 2 ** 20).toFixed(1)} MiB, more than ${(bound / 2 ** 20).toFixed(1)} MiB`);
            } finally {
              clearInterval(sampler);
            }
          } finally {
            if (child) await stopChild(child);
            await app.close();
            await hub.close();
            await cleanup();
          }
        });
      }
    }
  });
}

describeBursts('memory', 3, async () => ({ backend: (await import('../../src/hub/index.js')).createMemoryBackend(), cleanup: async () => undefined }), () => false);

const redisSkip = await skipUnlessRedis();
describeBursts(
  'redis',
  5,
  async () => {
    const prefix = uniquePrefix('burst');
    // 40 MB published in one loop: on a loaded machine Redis may take seconds to answer them all.
    return { backend: redisBackend({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 30_000 }), cleanup: () => deleteKeys(prefix) };
  },
  () => redisSkip,
);
