// The Redis Streams implementation of the hub's backend contract.
import { randomUUID } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { EventideError } from '../errors.js';
import type {
  EventRecord,
  HistoryLimits,
  HubBackend,
  ReadResult,
  StoredEvent,
} from '../hub/backend.js';
import { openLinks } from './connection.js';
import { entryFields, entryLimits, entrySeq, entryToEvent } from './entries.js';
import { Follower } from './follower.js';
import { ZERO_ID, compareStreamIds, isStreamId, streamIdTime } from './ids.js';
import { DEFAULT_KEY_PREFIX, assertKeyPrefix, channelKey } from './keys.js';
import { APPEND_SCRIPT, READ_SCRIPT } from './scripts.js';

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
  /** Like `followWindow`, in age: milliseconds entries stay at least. Default: 60000. */
  followGraceMs?: number | undefined;
}

/**
 * A hub backend on Redis, for as many processes and machines as share that Redis.
 */
export interface RedisBackend extends HubBackend {
  /**
   * Resolves once both connections are up; rejects with `EVENTIDE_BACKEND_UNAVAILABLE` if Redis
   * cannot be reached within `connectTimeoutMs` (or refuses the connection first). Optional: every
   * operation waits the same way, but calling it at start-up makes a bad `REDIS_URL` fail early.
   */
  ready(): Promise<void>;
  /** The Redis key of a channel's stream (for operators and tests). */
  keyOf(channel: string): string;
}

/**
 * Creates a hub backend that keeps every channel in a Redis Stream.
 *
 * Ids are stream ids (`1732412345678-0`): ordered across every process on the same Redis, so a
 * client can resume on any process. Needs Redis 7.0 or later for exact gap detection (6.2 works,
 * reporting a gap slightly more often), and ioredis 5 installed next to eventide.
 *
 * @example
 * ```ts
 * import { Hub } from 'eventide';
 * import { redisBackend } from 'eventide/redis';
 * const backend = redisBackend({ url: process.env.REDIS_URL, keyPrefix: 'myapp:' });
 * await backend.ready(); // optional: fail at start-up when Redis is not there
 * const hub = new Hub({ backend });
 * ```
 */
export function redisBackend(options: RedisBackendOptions = {}): RedisBackend {
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

  const { command, reader } = openLinks({
    url: options.url,
    client: options.client,
    redisOptions: options.redisOptions,
    connectTimeoutMs,
    commandTimeoutMs,
    blockMs,
    connectionName,
  });
  command.redis.defineCommand('eventideAppend', { numberOfKeys: 1, lua: APPEND_SCRIPT });
  command.redis.defineCommand('eventideRead', { numberOfKeys: 1, lua: READ_SCRIPT });
  const scripts = command.redis as unknown as {
    eventideAppend(key: string, ...args: string[]): Promise<string>;
    eventideRead(key: string, after: string): Promise<ReadReply>;
  };
  const wakeKey = `${keyPrefix}wake:${randomUUID()}`;
  const follower = new Follower(reader, command, { blockMs, batch: readBatch, wakeKey });
  let closed = false;
  // The head each recent readAfter saw, with its sequence number, so that a follow from that head
  // (what the hub does) can tell a trimmed first entry from a normal one. Small and bounded.
  const heads = new Map<string, { id: string; seq: number }>();

  function checkOpen(): void {
    if (closed) throw command.closedError();
  }

  return {
    zeroId: ZERO_ID,

    async ready() {
      checkOpen();
      await Promise.all([
        command.whenReady(connectTimeoutMs, 'EVENTIDE_BACKEND_UNAVAILABLE'),
        reader.whenReady(connectTimeoutMs, 'EVENTIDE_BACKEND_UNAVAILABLE'),
      ]);
    },

    keyOf(channel) {
      return channelKey(keyPrefix, channel);
    },

    async append(channel: string, record: EventRecord, limits: HistoryLimits): Promise<StoredEvent> {
      checkOpen();
      const key = channelKey(keyPrefix, channel);
      const fields = entryFields(record, limits);
      const keep = physicalBound(limits.maxEvents, followWindow);
      const keepMs = physicalBound(limits.maxAgeMs, followGraceMs);
      await command.whenReady(connectTimeoutMs, 'EVENTIDE_PUBLISH_FAILED');
      let id: string;
      try {
        id = await scripts.eventideAppend(key, keep, keepMs, ...fields);
      } catch (err) {
        throw command.unavailable('EVENTIDE_PUBLISH_FAILED', err);
      }
      return entryToEvent(channel, id, fields);
    },

    async readAfter(channel: string, after: string | undefined): Promise<ReadResult> {
      checkOpen();
      const key = channelKey(keyPrefix, channel);
      const valid = after === undefined || isStreamId(after);
      await command.whenReady(connectTimeoutMs, 'EVENTIDE_BACKEND_UNAVAILABLE');
      let reply: ReadReply;
      try {
        // A malformed id never reaches Redis: the read then only fetches the head.
        reply = await scripts.eventideRead(key, valid && after !== undefined ? after : '');
      } catch (err) {
        throw command.unavailable('EVENTIDE_BACKEND_UNAVAILABLE', err);
      }
      rememberHead(heads, channel, reply);
      return interpretRead(channel, after, valid, reply);
    },

    follow(channel, after, onEvent, onError) {
      if (closed) {
        queueMicrotask(() => onError?.(command.closedError()));
        return () => {};
      }
      const key = channelKey(keyPrefix, channel);
      if (!isStreamId(after)) {
        throw new EventideError(
          'EVENTIDE_INVALID_LAST_EVENT_ID',
          `follow(${JSON.stringify(channel)}) needs a Redis Stream id to start after (like "${ZERO_ID}" ` +
            'or the head from readAfter)',
        );
      }
      const head = heads.get(channel);
      const afterSeq = head !== undefined && head.id === after ? head.seq : undefined;
      return follower.add(channel, key, after, afterSeq, onEvent, onError);
    },

    compareIds: compareStreamIds,
    isValidId: isStreamId,

    async close() {
      if (closed) return;
      closed = true;
      follower.close();
      if (command.ready) await command.redis.del(wakeKey).catch(() => undefined);
      await Promise.all([reader.close(), command.close()]);
    },
  };
}

/** What READ_SCRIPT returns: empty for a missing stream. */
type ReadReply =
  | []
  | [
      lastId: string,
      maxDeletedId: string,
      firstId: string,
      nowMs: string,
      newestFields: string[],
      entriesNewestFirst: Array<[string, string[]]>,
    ];

function interpretRead(
  channel: string,
  after: string | undefined,
  valid: boolean,
  reply: ReadReply,
): ReadResult {
  if (reply.length === 0) {
    return { events: [], complete: after === undefined || after === ZERO_ID, head: ZERO_ID };
  }
  const [head, maxDeleted, firstId, nowText, newest, newestFirst] = reply;
  if (after === undefined) return { events: [], complete: true, head };
  if (!valid || compareStreamIds(after, head) > 0) return { events: [], complete: false, head };

  // Physically trimmed: Redis 7 remembers the largest id it ever deleted; trimming only removes
  // the oldest entries, so on 6.2 an oldest entry after `after` is the (conservative) sign.
  let complete =
    maxDeleted !== ''
      ? compareStreamIds(maxDeleted, after) <= 0
      : firstId === '' ? compareStreamIds(after, head) === 0 : compareStreamIds(firstId, after) <= 0;

  // Logically trimmed: the channel's exact history bounds, as recorded with its newest entry.
  const { maxEvents, maxAgeMs } = entryLimits(newest);
  let entries = newestFirst;
  if (maxEvents >= 0 && entries.length > maxEvents) {
    entries = entries.slice(0, maxEvents);
    complete = false;
  }
  if (maxAgeMs >= 0) {
    const cutoff = Number(nowText) - maxAgeMs;
    const kept = entries.filter(([id]) => streamIdTime(id) > cutoff);
    if (kept.length !== entries.length) complete = false;
    entries = kept;
  }
  const events: StoredEvent[] = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    events.push(entryToEvent(channel, entries[i][0], entries[i][1]));
  }
  return { events, complete, head };
}

function rememberHead(heads: Map<string, { id: string; seq: number }>, channel: string, reply: ReadReply): void {
  heads.delete(channel);
  if (reply.length === 0) {
    heads.set(channel, { id: ZERO_ID, seq: 0 });
  } else {
    const seq = entrySeq(reply[4]);
    // The head is the newest entry only when that entry is still there and carries its number.
    if (seq === undefined || reply[4].length === 0) return;
    heads.set(channel, { id: reply[0], seq });
  }
  if (heads.size > 1024) heads.delete(heads.keys().next().value as string);
}

/** The count or age Redis keeps at least: the history bound, but never below the follow window. */
function physicalBound(limit: number, floor: number): string {
  if (!Number.isFinite(limit)) return '-1';
  return String(Math.max(Math.floor(limit), floor));
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

