#!/usr/bin/env node
// Runs Mercure's conformance suite (conformance-tests/mercure.spec.ts of the dunglas/mercure
// repository, any version) against `eventide hub` built from this checkout, on the memory backend
// and on Redis.
//
//   npm run build
//   node scripts/mercure-conformance.mjs <suite-dir> [--backend memory|redis|both] [--redis-url URL]
//
// <suite-dir> holds mercure.spec.ts with @playwright/test installed (npm install in it). The
// browser is CHROMIUM_PATH (default /usr/bin/chromium). Exits non-zero when a run fails.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const CONFIG = join(ROOT, 'scripts/mercure-conformance.config.mjs');
// The key the suite's tokens are signed with (Mercure's documented example key).
const SUITE_KEY = '!ChangeThisMercureHubJWTSecretKey!';

function usage(message) {
  console.error(`${message}\nusage: node scripts/mercure-conformance.mjs <suite-dir> [--backend memory|redis|both] [--redis-url URL]`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { suiteDir: undefined, backend: 'both', redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--backend') args.backend = argv[++i];
    else if (arg === '--redis-url') args.redisUrl = argv[++i];
    else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else if (args.suiteDir === undefined) args.suiteDir = resolve(arg);
    else usage(`unexpected argument ${arg}`);
  }
  if (args.suiteDir === undefined) usage('the suite directory is missing');
  if (!['memory', 'redis', 'both'].includes(args.backend)) usage(`--backend is memory, redis or both, not ${args.backend}`);
  return args;
}

function check(args) {
  if (!existsSync(CLI)) usage(`${CLI} does not exist: run \`npm run build\` first`);
  if (!existsSync(join(args.suiteDir, 'mercure.spec.ts'))) usage(`${args.suiteDir} has no mercure.spec.ts`);
  if (!existsSync(join(args.suiteDir, 'node_modules/@playwright/test'))) {
    usage(`${args.suiteDir} has no @playwright/test: run \`npm install @playwright/test\` in it`);
  }
}

/** Starts `eventide hub` on a free port; resolves with the process and its URL. */
function startHub(extraArgs) {
  const child = spawn(process.execPath, [CLI, 'hub', '--anonymous', '--host', '127.0.0.1', '--port', '0', ...extraArgs], {
    env: { ...process.env, EVENTIDE_HUB_JWT_KEY: SUITE_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on (https?:\/\/\S+)/.exec(output);
      if (match) {
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        child.stdout.resume();
        resolvePromise({ child, url: match[1] });
      }
    };
    const onExit = (code) => reject(new Error(`eventide hub exited (${code}) before listening:\n${output}`));
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('exit', onExit);
  });
}

function stopHub(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    child.once('exit', () => resolvePromise());
    child.kill('SIGTERM');
  });
}

/** Runs the suite against `baseUrl`; resolves with Playwright's exit code. */
function runSuite(suiteDir, baseUrl) {
  const bin = join(suiteDir, 'node_modules/.bin/playwright');
  const child = spawn(bin, ['test', '--config', CONFIG], {
    cwd: suiteDir,
    env: { ...process.env, MERCURE_SUITE_DIR: suiteDir, BASE_URL: `${baseUrl}/.well-known/mercure`, CUSTOM_ID: '1' },
    stdio: 'inherit',
  });
  return new Promise((resolvePromise) => child.once('exit', (code) => resolvePromise(code ?? 1)));
}

/** Removes the Redis keys of one run. */
async function dropKeys(redisUrl, prefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  check(args);
  const backends = args.backend === 'both' ? ['memory', 'redis'] : [args.backend];
  const results = [];
  for (const backend of backends) {
    const prefix = `eventide-conformance-${randomBytes(6).toString('hex')}:`;
    const extra = backend === 'redis' ? ['--redis-url', args.redisUrl, '--redis-prefix', prefix] : [];
    const { child, url } = await startHub(extra);
    const stop = () => child.kill('SIGTERM');
    process.once('SIGINT', stop);
    let code;
    try {
      console.log(`\n== ${args.suiteDir} on ${backend} (eventide hub at ${url})`);
      code = await runSuite(args.suiteDir, url);
    } finally {
      process.off('SIGINT', stop);
      await stopHub(child);
      if (backend === 'redis') await dropKeys(args.redisUrl, prefix);
    }
    results.push({ backend, code });
  }
  console.log('');
  for (const { backend, code } of results) console.log(`${backend}: ${code === 0 ? 'passed' : `failed (playwright exit ${code})`}`);
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
