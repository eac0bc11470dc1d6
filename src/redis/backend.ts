// The Redis Streams implementation of the hub's backend contract.
import { EventideError } from '../errors.js';
import type { EventRecord, HistoryLimits, HubBackend, ReadResult, StoredEvent } from '../hub/backend.js';
import { openLinks } from './connection.js';
import { entryFields, entryToEvent } from './entries.js';
import { Follower } from './follower.js';
import { CallbackGuard } from './guard.js';
import { ZERO_ID, compareStreamIds, isStreamId } from './ids.js';
import { channelKey } from './keys.js';
import { resolveOptions, type RedisBackendOptions } from './options.js';
import { interpretRead, rememberHead, type ReadReply } from './read.js';
import { APPEND_SCRIPT, READ_SCRIPT } from './scripts.js';

export type { RedisBackendOptions };

/**
 * A hub backend on Redis, for as many processes and machines as share that Redis.
 */
export interface RedisBackend extends HubBackend {
  /**
   * Resolves once both connections are up; rejects with `EVENTIDE_BACKEND_UNAVAILABLE` if Redis
   * cannot be reached within `connectTimeoutMs` (or refuses the connection first), and with
   * `EVENTIDE_BACKEND_REJECTED` if it answers with an error (NOAUTH, WRONGPASS, ...), quoted in the
   * message. Optional: every operation waits the same way, but calling it at start-up makes a bad
   * `REDIS_URL` or password fail early.
   */
  ready(): Promise<void>;
  /** The Redis key of a channel's stream (for operators and tests). */
  keyOf(channel: string): string;
}

/**
 * Creates a hub backend that keeps every channel in a Redis Stream.
 *
 * Ids are stream ids (`1732412345678-0`): ordered across every process on the same Redis, so a
 * client can resume on any process. Needs Redis 7.0 or later for exact gap detection (on 6.2 a
 * conservative fallback reports a gap more often; tested on 7.0 only), and ioredis 5 installed next to eventide.
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
  const resolved = resolveOptions(options);
  const {
    keyPrefix, connectTimeoutMs, blockMs, readBatch, followWindow, followGraceMs,
  } = resolved;
  const { command, reader } = openLinks(resolved);
  // ioredis's own keyPrefix (of a `client` passed in) comes before ours in every key Redis sees.
  const replyPrefix = command.redis.options.keyPrefix ?? '';
  command.redis.defineCommand('eventideAppend', { numberOfKeys: 1, lua: APPEND_SCRIPT });
  command.redis.defineCommand('eventideRead', { numberOfKeys: 1, lua: READ_SCRIPT });
  const scripts = command.redis as unknown as {
    eventideAppend(key: string, ...args: string[]): Promise<string>;
    eventideRead(key: string, after: string, ...limit: string[]): Promise<ReadReply>;
  };
  const guard = new CallbackGuard();
  const follower = new Follower(reader, command, {
    blockMs,
    hangMs: resolved.commandTimeoutMs,
    batch: readBatch,
    keyPrefix,
  }, guard);
  let closed = false;
  // The head each recent readAfter saw, with its sequence number, so that a follow from that head
  // (what the hub does) can tell a trimmed first entry from a normal one. Small and bounded.
  const heads = new Map<string, { id: string; seq: number }>();

  function checkOpen(): void {
    if (closed) throw command.closedError();
  }

  // Reads of a channel's head alone (what a subscriber without Last-Event-ID asks for) share the
  // read of that channel already on its way, if it was sent in this same turn of the event loop: a
  // burst of new subscribers costs Redis one read, and this process one command's garbage, instead
  // of one each. A subscriber may so get a head read up to one turn of the event loop before it
  // asked (never older); and since publishes and reads share one connection, which Redis answers
  // in order, a publish this backend completed before a read was asked for is always within the
  // head that read gets.
  const headReads = new Map<string, Promise<ReadReply>>();
  let headTurn: ReturnType<typeof setImmediate> | undefined;

  function readHead(key: string): Promise<ReadReply> {
    const pending = headReads.get(key);
    if (pending !== undefined) return pending;
    const read = scripts.eventideRead(key, '');
    headReads.set(key, read);
    // Answered: later asks read afresh (set before any caller's continuation runs).
    const forget = () => {
      if (headReads.get(key) === read) headReads.delete(key);
    };
    read.then(forget, forget);
    headTurn ??= setImmediate(() => {
      headTurn = undefined;
      headReads.clear();
    });
    return read;
  }

  return {
    zeroId: ZERO_ID,

    async ready() {
      checkOpen();
      await Promise.all([
        command.whenReady(connectTimeoutMs, 'connect'),
        reader.whenReady(connectTimeoutMs, 'connect'),
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
      await command.whenReady(connectTimeoutMs, 'publish');
      let id: string;
      try {
        id = await scripts.eventideAppend(key, keep, keepMs, ...fields);
      } catch (err) {
        throw command.failure('publish', err, { channel, key: replyPrefix + key });
      }
      return entryToEvent(channel, id, fields);
    },

    async readAfter(channel: string, after: string | undefined, limit?: number, known?: (id: string) => StoredEvent | undefined): Promise<ReadResult> {
      checkOpen();
      const key = channelKey(keyPrefix, channel);
      const valid = after === undefined || isStreamId(after);
      const slice = sliceArgs(limit);
      // A slice of events the caller holds comes back as ids only (see READ_SCRIPT).
      const idsOnly = known !== undefined && slice.length > 0 && valid && after !== undefined;
      await command.whenReady(connectTimeoutMs, 'read');
      let reply: ReadReply;
      try {
        // A malformed id never reaches Redis: the read then only fetches the head.
        reply =
          after === undefined
            ? await readHead(key)
            : await scripts.eventideRead(key, valid ? after : '', ...slice, ...(idsOnly ? ['ids'] : []));
      } catch (err) {
        throw command.failure('read', err, { channel, key: replyPrefix + key });
      }
      if (idsOnly && !holdsSlice(reply, known)) {
        // The caller lacks some of them (fallen out of its cache): read the slice in full.
        return this.readAfter(channel, after, limit);
      }
      rememberHead(heads, channel, reply);
      const result = interpretRead(channel, after, valid, reply, idsOnly ? known : undefined);
      if (result !== undefined) return result;
      // A bounded slice starting at the trimmed edge: read the whole window, keep its oldest part.
      const whole = await this.readAfter(channel, after);
      return { ...whole, events: whole.events.slice(0, limit) };
    },

    follow(channel, after, onEvent, onError) {
      if (closed) {
        queueMicrotask(() => {
          const thrown = guard.call(onError, command.closedError());
          if (thrown !== undefined) guard.tell(`onError of a follow of channel ${JSON.stringify(channel)} threw`, thrown);
        });
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
      if (headTurn !== undefined) clearImmediate(headTurn);
      headReads.clear();
      follower.close();
      if (command.ready) await command.redis.del(follower.wakeKey).catch(() => undefined);
      await Promise.all([reader.close(false), command.close(true)]);
    },
  };
}

/** The count or age Redis keeps at least: the history bound, but never below the follow window. */
function physicalBound(limit: number, floor: number): string {
  if (!Number.isFinite(limit)) return '-1';
  return String(Math.max(Math.floor(limit), floor));
}


/** The script argument of a bounded slice (none for a whole read). */
/** True when `known` finds every entry of a slice reply. */
function holdsSlice(reply: ReadReply, known: (id: string) => StoredEvent | undefined): boolean {
  if (reply.length === 0) return true;
  for (const [id] of reply[5]) if (known(id) === undefined) return false;
  return true;
}

function sliceArgs(limit: number | undefined): string[] {
  return limit !== undefined && Number.isSafeInteger(limit) && limit > 0 ? [String(limit)] : [];
}
