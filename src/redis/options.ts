// The options of redisBackend, their defaults and their validation.
import type { Redis, RedisOptions } from 'ioredis';
import { EventideError } from '../errors.js';
import { DEFAULT_KEY_PREFIX, assertKeyPrefix } from './keys.js';

/** Options of {@link redisBackend}. Every field is optional. */
export interface RedisBackendOptions {
  /**
   * Redis URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS). Ignored when
   * `client` is given. An undefined value (say, an unset environment variable) means the default.
   * Default: `'redis://127.0.0.1:6379'`.
   */
  url?: string | undefined;
  /**
   * An existing ioredis client to take the connection settings from (host, TLS, auth, Sentinel...).
   * The backend opens its own two connections with `client.duplicate()` and never uses or closes
   * this one. Mutually exclusive with `url`.
   */
  client?: Redis | undefined;
  /**
   * Base of the connection names shown by `CLIENT LIST` (`<name>:command`, `<name>:reader`).
   * Default: `'eventide'`.
   */
  connectionName?: string | undefined;
  /** Extra ioredis options for connections made from `url` (TLS, username, ...). */
  redisOptions?: RedisOptions | undefined;
  /**
   * Prefix of every key the backend writes, so several apps can share one Redis.
   * Default: `'eventide:'`. A channel `news` lives in the stream `eventide:ch:news`.
   */
  keyPrefix?: string | undefined;
  /** How long operations wait for the first connection before failing. Default: 5000 ms. */
  connectTimeoutMs?: number | undefined;
  /** How long a publish or read may wait for Redis's answer before failing. Default: 5000 ms. */
  commandTimeoutMs?: number | undefined;
  /** Longest single blocking read of the follower connection. Default: 1000 ms. */
  blockMs?: number | undefined;
  /** Most entries read per channel per blocking read. Default: 512. */
  readBatch?: number | undefined;
  /**
   * Entries kept in Redis per channel at least, even when the channel's history is smaller, so that
   * followers a little behind still read them live (history bounds are still exact when replaying).
   * Default: 1000.
   */
  followWindow?: number | undefined;
  /**
   * Like `followWindow`, in age: milliseconds entries stay at least. A channel's key expires when
   * nothing was published to it for `max(maxAgeMs, followGraceMs)`. Default: 60000.
   */
  followGraceMs?: number | undefined;
}

/** {@link RedisBackendOptions} with every default applied and every value checked. */
export interface ResolvedOptions {
  readonly url: string | undefined;
  readonly client: Redis | undefined;
  readonly redisOptions: RedisOptions | undefined;
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly blockMs: number;
  readonly readBatch: number;
  readonly followWindow: number;
  readonly followGraceMs: number;
  readonly connectionName: string;
}

/** Applies the defaults; throws `EVENTIDE_INVALID_OPTION` for a value that cannot work. */
export function resolveOptions(options: RedisBackendOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new EventideError('EVENTIDE_INVALID_OPTION', 'redisBackend(options) takes an options object');
  }
  if (options.url !== undefined && options.client !== undefined) {
    throw new EventideError(
      'EVENTIDE_INVALID_OPTION',
      'redisBackend takes either `url` or `client`, not both',
    );
  }
  if (options.url !== undefined && typeof options.url !== 'string') {
    throw new EventideError('EVENTIDE_INVALID_OPTION', 'redisBackend({ url }) takes a string');
  }
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  assertKeyPrefix(keyPrefix);
  const connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs, 5000);
  const commandTimeoutMs = positiveInt('commandTimeoutMs', options.commandTimeoutMs, 5000);
  const blockMs = positiveInt('blockMs', options.blockMs, 1000);
  const readBatch = positiveInt('readBatch', options.readBatch, 512);
  const followWindow = positiveInt('followWindow', options.followWindow, 1000);
  const followGraceMs = positiveInt('followGraceMs', options.followGraceMs, 60_000);
  const connectionName = options.connectionName ?? 'eventide';
  if (typeof connectionName !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(connectionName)) {
    throw new EventideError(
      'EVENTIDE_INVALID_OPTION',
      'redisBackend({ connectionName }) takes 1 to 64 printable ASCII characters without spaces',
    );
  }

  return {
    url: options.url,
    client: options.client,
    redisOptions: options.redisOptions,
    keyPrefix,
    connectTimeoutMs,
    commandTimeoutMs,
    blockMs,
    readBatch,
    followWindow,
    followGraceMs,
    connectionName,
  };
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new EventideError(
      'EVENTIDE_INVALID_OPTION',
      `redisBackend({ ${name} }) takes a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

