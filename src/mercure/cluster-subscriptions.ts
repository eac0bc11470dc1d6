// The active subscriptions of every hub process sharing a Redis, for the subscriptions API.
//
// Each process keeps its subscriptions in a Redis hash of its own (subscription id -> JSON) that
// expires unless refreshed, and its id in a sorted set scored by the time its hash expires. A
// heartbeat refreshes both; closing deletes them. A process that dies without closing (SIGKILL, a
// lost machine) drops out of the list once its expiry passes. Listing reads the hashes of the
// processes still live. ioredis is loaded only when this is used.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ClusterSubscriptionsOptions } from './options.js';
import { Refusal } from './refusal.js';
import { inFilter, SubscriptionRegistry, type SubscriptionDirectory, type SubscriptionFilter, type SubscriptionInfo } from './subscriptions.js';

/** Connection options of the registry's own Redis client: fail fast rather than queue forever. */
const CLIENT_OPTIONS = { maxRetriesPerRequest: 1, commandTimeout: 5000, connectTimeout: 5000, lazyConnect: false } as const;

/** The subscriptions API's list, shared through Redis by the processes of a cluster. */
export class ClusterSubscriptions implements SubscriptionDirectory {
  readonly #local = new SubscriptionRegistry();
  readonly #process = randomUUID();
  readonly #ttlMs: number;
  readonly #base: string;
  readonly #hashKey: string;
  readonly #processesKey: string;
  readonly #redis: Promise<Redis>;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #onError: (error: unknown) => void;
  #closed = false;

  constructor(options: ClusterSubscriptionsOptions, channel: string, onError: (error: unknown) => void) {
    this.#ttlMs = Math.max(1000, options.ttlMs ?? 30_000);
    this.#base = `${options.keyPrefix ?? 'eventide:'}mercure-subscriptions:${channel}:`;
    this.#processesKey = `${this.#base}processes`;
    this.#hashKey = `${this.#base}process:${this.#process}`;
    this.#onError = onError;
    this.#redis = import('ioredis').then(({ Redis }) => {
      const redis = new Redis(options.url ?? 'redis://127.0.0.1:6379', CLIENT_OPTIONS);
      // Failures reach callers through rejected commands; ioredis would otherwise print them.
      redis.on('error', () => {});
      return redis;
    });
    // The promise is awaited by every command; a failed import or connection is reported there.
    this.#redis.catch(() => {});
    this.#timer = setInterval(() => void this.#heartbeat(), Math.floor(this.#ttlMs / 3));
    this.#timer.unref();
    void this.#heartbeat();
  }

  get size(): number {
    return this.#local.size;
  }

  add(info: SubscriptionInfo): void {
    this.#local.add(info);
    this.#run((redis) => redis.multi().hset(this.#hashKey, info.id, JSON.stringify(info)).pexpire(this.#hashKey, this.#ttlMs).exec());
  }

  delete(info: SubscriptionInfo): void {
    this.#local.delete(info);
    this.#run((redis) => redis.hdel(this.#hashKey, info.id));
  }

  async list(filter: SubscriptionFilter): Promise<SubscriptionInfo[]> {
    let hashes: unknown[];
    try {
      const redis = await this.#redis;
      const processes = await redis.zrangebyscore(this.#processesKey, Date.now(), '+inf');
      const pipeline = redis.pipeline();
      for (const id of processes) pipeline.hvals(`${this.#base}process:${id}`);
      const replies = (await pipeline.exec()) ?? [];
      hashes = replies.flatMap(([err, values]) => (err === null && Array.isArray(values) ? values : []));
    } catch {
      throw new Refusal(503, 'the shared subscription list (Redis) cannot be read right now; retry later');
    }
    const out: SubscriptionInfo[] = [];
    for (const text of hashes) {
      try {
        const info = JSON.parse(String(text)) as SubscriptionInfo;
        if (inFilter(info, filter)) out.push(info);
      } catch {
        // An entry that is not JSON was not written by eventide: skip it.
      }
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#local.close();
    let redis: Redis;
    try {
      redis = await this.#redis;
    } catch {
      return;
    }
    try {
      await redis.multi().del(this.#hashKey).zrem(this.#processesKey, this.#process).exec();
    } catch {
      // Redis is away: the entries expire on their own.
    }
    redis.disconnect();
  }

  /** Refreshes this process's expiry; rewrites its entries if Redis lost them (a restart). */
  async #heartbeat(): Promise<void> {
    await this.#write(async (redis) => {
      const now = Date.now();
      const replies = await redis
        .multi()
        .zadd(this.#processesKey, now + this.#ttlMs, this.#process)
        .zremrangebyscore(this.#processesKey, '-inf', now)
        .pexpire(this.#hashKey, this.#ttlMs)
        .exec();
      const refreshed = replies?.[2]?.[1];
      if (refreshed === 0 && this.#local.size > 0) {
        const entries = [...this.#local.values()].flatMap((info) => [info.id, JSON.stringify(info)]);
        await redis.multi().hset(this.#hashKey, ...entries).pexpire(this.#hashKey, this.#ttlMs).exec();
      }
    });
  }

  #run(command: (redis: Redis) => Promise<unknown>): void {
    void this.#write(command);
  }

  async #write(command: (redis: Redis) => Promise<unknown>): Promise<void> {
    if (this.#closed) return;
    try {
      await command(await this.#redis);
    } catch (err) {
      if (this.#closed) return;
      try {
        this.#onError(new Error(`the shared subscription list could not be updated in Redis: ${(err as Error).message}`));
      } catch {
        // A throwing onError must not turn into an unhandled rejection.
      }
    }
  }
}
