// Shared by the Redis tests: is Redis there, unique key prefixes, cleanup, and private
// redis-server processes for the fault tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.EVENTIDE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Answers whether a Redis answers PING at `url` within a second. */
export async function redisReachable(url: string = REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * The `skip` option for a suite that needs Redis at `url`: false when it answers; a message when it
 * does not. Under CI (CI=true) a missing Redis is a failure, never a skip.
 */
export async function skipUnlessRedis(url: string = REDIS_URL): Promise<false | string> {
  if (await redisReachable(url)) return false;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`Redis not reachable at ${url}, and CI is set: the Redis tests must run in CI`);
  }
  const message = `Redis not reachable at ${url}: skipped`;
  console.log(`# ${message}`);
  return message;
}

/**
 * The `skip` option for a suite that starts its own redis-server: false when the binary is there; a
 * message when it is not. Under CI a missing binary is a failure, never a skip.
 */
export function skipUnlessRedisServer(): false | string {
  if (spawnSync('redis-server', ['--version']).status === 0) return false;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error('redis-server is not installed, and CI is set: the Redis fault tests must run in CI');
  }
  const message = 'redis-server binary not found on the PATH: skipped';
  console.log(`# ${message}`);
  return message;
}

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `eventide-test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deleteKeys(prefix: string, url: string = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Polls `check` until it returns true, or throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server with append-only persistence in a temporary directory. */
export class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'eventide-redis-'));
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  /**
   * Starts one on a free port and waits until it answers PING. `extraArgs` are more redis-server
   * settings (`['--requirepass', 'x']`); with a password, `url` does not carry it.
   */
  static async start(extraArgs: readonly string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), extraArgs);
    await redis.startProcess();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again (same port, same data directory) and waits for PING. */
  async startProcess(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes',
        '--dir', this.dir, ...this.extraArgs],
      { stdio: 'ignore' },
    );
    this.process = child;
    // Never leave a server behind, even when the test process exits without its cleanup running.
    const reap = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server exited early with code ${code}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitFor(`redis-server on port ${this.port}`, () => this.answers(), 10_000, 20), exited]);
  }

  // Whether it answers PING: with PONG, or with NOAUTH for a server that wants a password.
  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      let reply = '';
      const done = (ok: boolean): void => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1000, () => done(false));
      socket.on('error', () => done(false));
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk) => {
        reply += chunk.toString();
        if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
      });
    });
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: a hung Redis, or a network partition. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.process?.kill(signal);
  }

  /** Kills the server with SIGKILL and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Kills the server and removes its data directory. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
