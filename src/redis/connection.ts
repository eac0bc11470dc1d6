// The backend's two Redis connections and how their state turns into eventide errors.
//
// Both connections are configured to fail fast rather than queue: no offline queue, no retry of a
// command after its connection dropped, a command timeout. A publish that Redis may not have stored
// must reject now, not succeed minutes later or never settle. ioredis keeps reconnecting in the
// background, so operations work again as soon as Redis is back.
import { Redis, type RedisOptions } from 'ioredis';
import { EventideError } from '../errors.js';
import { redisFailure, type Operation } from './failures.js';

/** Options of the connections, already defaulted. */
export interface ConnectionSettings {
  readonly url: string | undefined;
  readonly client: Redis | undefined;
  readonly redisOptions: RedisOptions | undefined;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly connectionName: string;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';

// Reconnect quickly at first, then every second: an outage of a few seconds should cost about
// that long, and a long one costs one connection attempt per second per connection.
function retryStrategy(times: number): number {
  return Math.min(50 * times, 1000);
}

/**
 * One ioredis connection plus what the backend needs to know about it: whether it was ever ready
 * (a failure before that is "unreachable at start", after it an outage) and a way to wait for it.
 */
export class Link {
  readonly redis: Redis;
  /** Where it points, for error messages (no credentials). */
  readonly where: string;
  private everReady = false;
  private lastError: Error | undefined;
  private closed = false;

  constructor(redis: Redis, where: string) {
    this.redis = redis;
    this.where = where;
    // ioredis prints unhandled 'error' events; the backend reports them through its own paths.
    redis.on('error', (err: Error) => {
      this.lastError = err;
    });
    redis.on('ready', () => {
      this.everReady = true;
      this.lastError = undefined;
    });
  }

  /** True while the connection can take commands. */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /**
   * Resolves when the connection is ready. Before the first successful connection it waits at most
   * `timeoutMs` and rejects early on the first connection error; after it (an outage while
   * running) it rejects at once, so callers fail fast instead of piling up. The error says what
   * Redis answered, if it answered (NOAUTH, WRONGPASS, ...), see {@link redisFailure}.
   */
  whenReady(timeoutMs: number, operation: Operation): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (this.closed) return Promise.reject(this.closedError());
    if (this.everReady) return Promise.reject(this.failure(operation, this.lastError));
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.redis.off('error', onError);
        this.redis.off('end', onEnd);
        if (err === undefined) resolve();
        else reject(this.failure(operation, err));
      };
      const onReady = (): void => done();
      const onError = (err: Error): void => done(err);
      const onEnd = (): void => done(new Error('the connection was closed'));
      const timer = setTimeout(
        () => done(this.lastError ?? new Error(`no connection within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.redis.on('ready', onReady);
      this.redis.on('error', onError);
      this.redis.on('end', onEnd);
      if (this.redis.status === 'wait') this.redis.connect().catch(() => undefined);
    });
  }

  /** Resolves once the connection is ready again, or when it is closed (then `ready` is false). */
  waitUntilReady(): Promise<void> {
    if (this.ready || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.redis.off('ready', done);
        this.redis.off('end', done);
        resolve();
      };
      this.redis.on('ready', done);
      this.redis.on('end', done);
    });
  }

  /** Turns a failure into an eventide error that says where Redis is and what it answered. */
  failure(operation: Operation, cause: unknown, about: { channel?: string; key?: string } = {}): EventideError {
    return redisFailure(operation, cause ?? new Error('not connected'), { where: this.where, ...about });
  }

  /**
   * Drops the connection at once (ioredis then opens a new one): for a Redis that hangs, where a
   * graceful close would wait for an answer that never comes. Resolves once the connection is no
   * longer ready, so the caller does not send on the dead socket.
   */
  drop(): Promise<void> {
    if (!this.ready) return Promise.resolve();
    const gone = new Promise<void>((resolve) => this.redis.once('close', () => resolve()));
    // disconnect() would end the socket politely and wait up to ioredis's disconnectTimeout (2 s)
    // for the frozen peer to close its side; destroying it closes it now.
    if (this.redis.stream !== undefined) this.redis.stream.destroy();
    else this.redis.disconnect(true);
    return gone;
  }

  /** The error of an operation on a closed backend. */
  closedError(): EventideError {
    return new EventideError('EVENTIDE_CLOSED', 'the Redis backend was closed; create a new one');
  }

  /**
   * Ends the connection: gracefully (pending replies arrive first) when `graceful` and it is up,
   * at once otherwise. The blocking reader closes at once: QUIT would wait behind its XREAD.
   */
  async close(graceful: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (graceful && this.ready) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.redis.quit().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
      ]);
      clearTimeout(timer);
    }
    this.redis.disconnect(false);
  }
}

/** Opens the command connection and the blocking reader connection. */
export function openLinks(settings: ConnectionSettings): { command: Link; reader: Link } {
  const failFast: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: settings.connectTimeoutMs,
    retryStrategy,
    lazyConnect: false,
  };
  const commandOptions: RedisOptions = {
    ...failFast,
    commandTimeout: settings.commandTimeoutMs,
    connectionName: `${settings.connectionName}:command`,
  };
  const readerOptions: RedisOptions = {
    ...failFast,
    // The command timeout would cut blocking reads longer than it short; the follower watches its
    // reads itself (and reconnects when Redis hangs, which ioredis's blockingTimeout does not).
    commandTimeout: undefined,
    connectionName: `${settings.connectionName}:reader`,
  };
  let base: Redis;
  let ownsBase = false;
  if (settings.client !== undefined) {
    base = settings.client;
  } else {
    base = new Redis(settings.url ?? DEFAULT_URL, { ...settings.redisOptions, ...commandOptions });
    ownsBase = true;
  }
  const where = describeTarget(base);
  // The user's client keeps its own settings and is never closed by the backend: both connections
  // are duplicates of it with the fail-fast settings above.
  const command = ownsBase ? base : base.duplicate(commandOptions);
  const reader = base.duplicate(readerOptions);
  return { command: new Link(command, where), reader: new Link(reader, where) };
}

function describeTarget(redis: Redis): string {
  const o = redis.options;
  if (o.path) return o.path;
  return `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}
