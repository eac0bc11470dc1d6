// The servers under test. Each runs in its own process; eventide's two are compiled from TypeScript
// (standard decorators) into node_modules/.cache before the run, because they need the built package.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wallToMonotonicOffsetUs } from './lib/clock.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export const PEERS = [
  { name: 'nestjs', label: 'NestJS @Sse (express)', script: here('./servers/nestjs.mjs'), pkgs: ['@nestjs/core', '@nestjs/platform-express', 'express'] },
  { name: 'better-sse', label: 'better-sse channel', script: here('./servers/better-sse.mjs'), pkgs: ['better-sse'] },
  { name: 'hono', label: 'Hono streamSSE', script: here('./servers/hono.mjs'), pkgs: ['hono', '@hono/node-server'] },
];
export const BASELINES = [
  { name: 'plain', label: 'plain node:http loop', script: here('./servers/plain.mjs'), pkgs: [] },
  { name: 'ceiling', label: 'coalescing ceiling', script: here('./servers/ceiling.mjs'), pkgs: [] },
];
export const EVENTIDE = [
  { name: 'eventide-hub', label: 'eventide hub route', source: here('./servers/eventide-hub.ts'), pkgs: ['eventide'], needs: { 'index.js': ['createApp'], 'hub/index.js': ['Hub'] } },
  { name: 'eventide-hub-op', label: 'eventide hub route through filter()', source: here('./servers/eventide-hub-op.ts'), pkgs: ['eventide'], needs: { 'index.js': ['createApp'], 'hub/index.js': ['Hub'] } },
  { name: 'eventide-redis', label: 'eventide hub on Redis (3 processes)', source: here('./servers/eventide-redis.ts'), pkgs: ['eventide', 'ioredis'], needs: { 'index.js': ['createApp'], 'hub/index.js': ['Hub'], 'redis/index.js': ['redisBackend'] }, workloads: ['redis'] },
  { name: 'eventide-batch', label: 'eventide connection, one joined frame per burst (experiment)', source: here('./servers/eventide-batch.ts'), pkgs: ['eventide'], needs: { 'index.js': ['createApp'], 'protocol/frames.js': ['frameOf', 'setFrame'] }, experimental: true },
  { name: 'eventide-mercure', label: 'eventide hub, Mercure protocol', source: here('./servers/eventide-mercure.ts'), pkgs: ['eventide', 'jose'], needs: { 'index.js': ['createApp', 'Hub'], 'mercure/index.js': ['createMercureHub'] }, workloads: ['burst', 'steady'] },
  { name: 'eventide-mercure-redis', label: 'eventide hub, Mercure protocol on Redis (3 processes)', source: here('./servers/eventide-mercure.ts'), pkgs: ['eventide', 'ioredis', 'jose'], needs: { 'index.js': ['createApp', 'Hub'], 'mercure/index.js': ['createMercureHub'], 'redis/index.js': ['redisBackend'] }, workloads: ['redis'] },
  { name: 'eventide-obs', label: 'eventide Observable route', source: here('./servers/eventide-observable.ts'), pkgs: ['eventide'], needs: { 'index.js': ['createApp'] } },
  // The hub route on each framework platform: burst and idle memory beside the embedded server.
  { name: 'eventide-express', label: 'eventide hub route on Express 5', source: here('./servers/eventide-express.ts'), pkgs: ['eventide', 'express'], needs: { 'index.js': ['Hub'], 'platforms/express/index.js': ['eventide'] }, workloads: ['burst', 'idle'] },
  { name: 'eventide-fastify', label: 'eventide hub route on Fastify 5', source: here('./servers/eventide-fastify.ts'), pkgs: ['eventide', 'fastify'], needs: { 'index.js': ['Hub'], 'platforms/fastify/index.js': ['eventide'] }, workloads: ['burst', 'idle'] },
  { name: 'eventide-nestjs', label: 'eventide @EventideSse hub route on NestJS (express)', source: here('./servers/eventide-nestjs.ts'), pkgs: ['eventide', '@nestjs/core', '@nestjs/platform-express'], needs: { 'index.js': ['Hub'], 'platforms/nestjs/index.js': ['EventideSse'] }, workloads: ['burst', 'idle'] },
];

// Servers on Bun and Deno (binaries from the `bun` and `deno` devDependencies), opt-in: they run with
// --runtimes or when named in --only. eventide's fetch handler beside Hono's streamSSE, both on the
// runtime's own server, in the burst and idle workloads.
const webNeeds = { 'index.js': ['Hub', 'Controller', 'Sse'], 'web.js': ['createFetchHandler'] };
export const RUNTIMES = [
  { name: 'eventide-bun', label: 'eventide fetch handler on Bun.serve', runtime: 'bun', source: here('./servers/eventide-web.ts'), pkgs: ['eventide', 'bun'], needs: webNeeds, workloads: ['burst', 'idle'], optIn: true },
  { name: 'hono-bun', label: 'Hono streamSSE on Bun.serve', runtime: 'bun', script: here('./servers/hono-web.mjs'), pkgs: ['hono', 'bun'], workloads: ['burst', 'idle'], optIn: true },
  { name: 'eventide-deno', label: 'eventide fetch handler on Deno.serve', runtime: 'deno', source: here('./servers/eventide-web.ts'), pkgs: ['eventide', 'deno'], needs: webNeeds, workloads: ['burst', 'idle'], optIn: true },
  { name: 'hono-deno', label: 'Hono streamSSE on Deno.serve', runtime: 'deno', script: here('./servers/hono-web.mjs'), pkgs: ['hono', 'deno'], workloads: ['burst', 'idle'], optIn: true },
];

const runtimeBins = {
  // The `bun` package's postinstall puts the binary in bin/; the platform packages hold it otherwise.
  bun: ['../node_modules/bun/bin/bun.exe', '../node_modules/@oven/bun-linux-x64/bin/bun', '../node_modules/@oven/bun-linux-x64-baseline/bin/bun', '../node_modules/@oven/bun-linux-aarch64/bin/bun'],
  deno: ['../node_modules/deno/deno', '../node_modules/@deno/linux-x64-glibc/deno', '../node_modules/@deno/linux-arm64-glibc/deno'],
};

/**
 * How to start a server on `runtime`: `{ ok, execPath, execArgs }`, or `{ ok: false, why }` when the
 * binary is missing. Deno gets every permission and --expose-gc; both get the offset that puts their
 * clock on Node's (bench/lib/clock.mjs).
 */
export function runtimeCommand(runtime) {
  const bin = runtimeBins[runtime].map(here).find((p) => existsSync(p));
  if (!bin) return { ok: false, why: `no ${runtime} binary under node_modules (npm ci installs the devDependency \`${runtime}\`)` };
  const execArgs = runtime === 'bun' ? [] : ['run', '--allow-all', '--v8-flags=--expose-gc'];
  return { ok: true, execPath: bin, execArgs, env: { EVENTIDE_BENCH_CLOCK_OFFSET_US: String(wallToMonotonicOffsetUs()) } };
}

/** Whether the built package (dist/) has the modules and exports an eventide server needs. */
export async function eventideAvailable(needs) {
  for (const [file, names] of Object.entries(needs)) {
    const path = here(`../dist/${file}`);
    if (!existsSync(path)) return { ok: false, why: `dist/${file} is missing (run npm run build)` };
    try {
      const mod = await import(path);
      const missing = names.filter((n) => !(n in mod));
      if (missing.length) return { ok: false, why: `dist/${file} does not export ${missing.join(', ')}` };
    } catch (err) {
      return { ok: false, why: `dist/${file} failed to load: ${err.message}` };
    }
  }
  return { ok: true };
}
