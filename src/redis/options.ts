// The options of redisBackend, their defaults and their validation.
import type { Redis, RedisOptions } from 'ioredis';
import { EventideError } from '../errors.js';
import { checkOptionsObject, countRule, numberOption, timerRule } from '../options/validate.js';
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
  /** How long operations wait for the first connection before failing. Default: 5000 ms (at most 2^31-1). */
  connectTimeoutMs?: number | undefined;
  /**
   * How long a publish or read may wait for Redis's answer before failing; the follower calls Redis
   * hung when a read is unanswered `blockMs + commandTimeoutMs` (at least `blockMs + 250`) after it
   * was sent. Default: 5000 ms (at most 2^31-1).
   */
  commandTimeoutMs?: number | undefined;
  /** Longest single blocking read of the follower connection. Default: 1000 ms (at most 2^31-1). */
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

const WHERE = 'redisBackend';

/** Every option name, for the unknown-key check: a typo is an error, not a silent default. */
const KNOWN: ReadonlyArray<keyof RedisBackendOptions> = [
  'url', 'client', 'connectionName', 'redisOptions', 'keyPrefix', 'connectTimeoutMs', 'commandTimeoutMs',
  'blockMs', 'readBatch', 'followWindow', 'followGraceMs',
];

/**
 * Applies the defaults; throws `EVENTIDE_INVALID_OPTION`, naming the option, for a value that
 * cannot work. Durations that become Node timers (`connectTimeoutMs`, `commandTimeoutMs`,
 * `blockMs`) are capped at Node's 2^31-1 ms; longer ones would silently fire after 1 ms.
 */
export function resolveOptions(input: RedisBackendOptions | undefined): ResolvedOptions {
  const options = checkOptionsObject(WHERE, input, KNOWN) as RedisBackendOptions;
  if (options.url !== undefined && options.client !== undefined) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `${WHERE} takes either \`url\` or \`client\`, not both`);
  }
  if (options.url !== undefined && typeof options.url !== 'string') {
    throw invalid('url', 'a string such as "redis://127.0.0.1:6379"', options.url);
  }
  if (options.client !== undefined && (typeof options.client !== 'object' || options.client === null ||
      typeof (options.client as { duplicate?: unknown }).duplicate !== 'function')) {
    throw invalid('client', 'an ioredis client (new Redis(...))', options.client);
  }
  if (options.redisOptions !== undefined && (typeof options.redisOptions !== 'object' || options.redisOptions === null)) {
    throw invalid('redisOptions', 'an object of ioredis options', options.redisOptions);
  }
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  assertKeyPrefix(keyPrefix);
  const timer = (fallback: number) => timerRule(fallback, { zeroDisables: false });
  const connectTimeoutMs = numberOption(WHERE, 'connectTimeoutMs', options.connectTimeoutMs, timer(5000));
  const commandTimeoutMs = numberOption(WHERE, 'commandTimeoutMs', options.commandTimeoutMs, timer(5000));
  const blockMs = numberOption(WHERE, 'blockMs', options.blockMs, timer(1000));
  const readBatch = numberOption(WHERE, 'readBatch', options.readBatch, countRule(512, 1));
  const followWindow = numberOption(WHERE, 'followWindow', options.followWindow, countRule(1000, 1));
  // An expiry and a trim bound inside Redis, not a Node timer: no timer cap.
  const followGraceMs = numberOption(WHERE, 'followGraceMs', options.followGraceMs, countRule(60_000, 1));
  const connectionName = options.connectionName ?? 'eventide';
  if (typeof connectionName !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(connectionName)) {
    throw invalid('connectionName', '1 to 64 printable ASCII characters without spaces', connectionName);
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

function invalid(name: string, expected: string, value: unknown): EventideError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : typeof value;
  return new EventideError('EVENTIDE_INVALID_OPTION', `${WHERE} option \`${name}\` must be ${expected}, got ${shown}`);
}
