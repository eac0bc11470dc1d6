// Live delivery for every followed channel of one backend over ONE blocking connection.
//
// The reader loops on `XREAD COUNT <batch> BLOCK <blockMs> STREAMS <keys...> <ids...>` over the keys
// of all followed channels, each read from the oldest position any of its followers still needs.
// Each entry is decoded once and handed to every follower of its channel that has not seen it, so
// per channel and per follower delivery is in order and exactly once.
//
// A new follow must not wait for a pending block to time out, so the reader also reads a private
// "wake" stream of this backend instance; adding a follow appends to it from the command connection,
// which ends the pending XREAD at once. Unlike CLIENT UNBLOCK this needs no admin rights and has no
// race: a wake that lands before the XREAD reaches Redis makes that XREAD return immediately.
//
// One channel never stops the others. XREAD fails as a whole when one of its keys fails (a key
// someone overwrote with SET answers WRONGTYPE), and Redis does not say which key. So a failed read
// is followed by one cheap probe per key (a non-blocking read, pipelined); the keys that fail it are
// set aside, their followers told once, and the shared read goes on at once without them. A key set
// aside is probed again after 0.25 s, then twice as long each time up to every 10 s, and rejoins the
// shared read when its probe succeeds.
import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../hub/backend.js';
import type { Link } from './connection.js';
import { EventideError } from '../errors.js';
import { MAX_TIMER_MS } from '../options/validate.js';
import { entrySeq, entryToEvent } from './entries.js';
import { isKeyError, replyCode } from './failures.js';
import type { CallbackGuard } from './guard.js';
import { ZERO_ID, compareStreamIds } from './ids.js';

/** First delay before a failing channel (or a failing shared read) is tried again. */
export const RETRY_FIRST_MS = 250;
/** Longest delay between two tries: the backoff doubles up to this. */
export const RETRY_MAX_MS = 10_000;
/**
 * Least time the watchdog adds to a read's block before it calls Redis hung: Redis ends a blocking
 * read on its own clock tick (every 100 ms at the default `hz 10`), so a block often ends late.
 */
export const MIN_HANG_MS = 250;

interface Follow {
  readonly channel: string;
  readonly key: string;
  lastId: string;
  /** Sequence number of the entry at lastId, when known: the next one must be exactly one more. */
  lastSeq: number | undefined;
  readonly onEvent: (event: StoredEvent) => void;
  readonly onError: ((error: Error) => void) | undefined;
  active: boolean;
  /** Told about the current failure already (one report per outage or per failing spell of its key). */
  reported: boolean;
}

/** A followed key: its follows and, while reading it fails, when to try it again. */
interface Followed {
  readonly key: string;
  readonly channel: string;
  readonly follows: Set<Follow>;
  /** Failed probes in a row; 0 while the key is read normally. */
  failures: number;
  /** While failing: when to probe it again (Date.now() time). */
  retryAt: number;
  /** While failing: what its followers were told. */
  error: EventideError | undefined;
}

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;
type PipelineResult = Array<[Error | null, unknown]>;

/** Settings of the shared reader. */
export interface FollowerSettings {
  readonly blockMs: number;
  /** A read not answered this long after its block ended means Redis hangs (at least MIN_HANG_MS). */
  readonly hangMs: number;
  readonly batch: number;
  /** The backend's key prefix: the wake stream is `<prefix>wake:<uuid>`. */
  readonly keyPrefix: string;
}

/** The watchdog's verdict on a read: Redis did not answer it in time. */
class HungRead extends Error {}

/** Owns the reader connection's loop; the backend adds and removes follows. */
export class Follower {
  private readonly byKey = new Map<string, Followed>();
  private running = false;
  private closed = false;
  /** The private stream that wakes a pending read; replaced if someone breaks it. */
  private wakeStream: string;
  private wakeId = ZERO_ID;
  // One wake per pending read is enough: many follows added at once cost one XADD.
  private wakePending = false;
  /** Failed shared reads in a row that no single key explains (an outage, NOAUTH, LOADING...). */
  private readFailures = 0;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  // ioredis does not strip its own keyPrefix option from XREAD replies.
  private readonly replyPrefix: string;
  private readonly hangMs: number;

  constructor(
    private readonly reader: Link,
    private readonly command: Link,
    private readonly settings: FollowerSettings,
    private readonly guard: CallbackGuard,
  ) {
    this.replyPrefix = reader.redis.options.keyPrefix ?? '';
    this.hangMs = Math.max(settings.hangMs, MIN_HANG_MS);
    this.wakeStream = this.newWakeStream();
  }

  /** The key of the private wake stream (deleted by the backend on close). */
  get wakeKey(): string {
    return this.wakeStream;
  }

  /** Starts delivering `channel` (stored under `key`) after `after`; returns the stop function. */
  add(
    channel: string,
    key: string,
    after: string,
    afterSeq: number | undefined,
    onEvent: (event: StoredEvent) => void,
    onError: ((error: Error) => void) | undefined,
  ): () => void {
    const follow: Follow = {
      channel, key, lastId: after, lastSeq: afterSeq, onEvent, onError, active: true, reported: false,
    };
    let followed = this.byKey.get(key);
    if (followed === undefined) {
      followed = { key, channel, follows: new Set(), failures: 0, retryAt: 0, error: undefined };
      this.byKey.set(key, followed);
    }
    followed.follows.add(follow);
    // Joining a channel that cannot be read now: told like the others (later, never inside add).
    const failing = followed;
    if (failing.error !== undefined) queueMicrotask(() => failing.error && this.report(follow, failing.error));
    if (!this.running) this.start();
    else this.wake();
    return () => this.remove(follow);
  }

  /** Number of channels followed now (for tests and metrics). */
  get channelCount(): number {
    return this.byKey.size;
  }

  /** Number of followed channels set aside because reading them fails (for tests and metrics). */
  get failingChannelCount(): number {
    let n = 0;
    for (const followed of this.byKey.values()) if (followed.failures > 0) n++;
    return n;
  }

  private remove(follow: Follow): void {
    if (!follow.active) return;
    follow.active = false;
    const followed = this.byKey.get(follow.key);
    if (followed === undefined) return;
    followed.follows.delete(follow);
    if (followed.follows.size === 0) this.byKey.delete(follow.key);
    // No wake: the removed key costs nothing until the pending read returns.
  }

  /** Ends every follow; the loop stops after its pending read. */
  close(): void {
    this.closed = true;
    for (const followed of this.byKey.values()) for (const f of followed.follows) f.active = false;
    this.byKey.clear();
    this.wakeUp();
  }

  private start(): void {
    this.loop().catch((err: unknown) => this.guard.tell('the follower loop failed', err));
  }

  private wake(): void {
    if (this.wakePending) return;
    if (!this.command.ready) return; // the reader is down too, or will re-read the keys when it returns
    this.wakePending = true;
    this.command.redis
      .multi()
      .xadd(this.wakeStream, 'MAXLEN', '1', '*', 'w', '1')
      .pexpire(this.wakeStream, 3_600_000)
      .exec()
      .catch(() => undefined); // worst case the new follow starts when the pending block ends
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.byKey.size > 0) {
        try {
          await this.step();
        } catch (err) {
          // Not a Redis failure (those are handled in step): a bug, or a reply of a shape never
          // seen. Live delivery must survive it; it is told once and the read is tried again.
          this.guard.tell('live delivery from Redis failed unexpectedly; retrying', err);
          await this.sleep(this.backoff(++this.readFailures));
        }
      }
    } finally {
      this.running = false;
    }
    // A follow added while the loop was finishing its last read.
    if (!this.closed && this.byKey.size > 0) this.start();
  }

  /** One turn: retry the failing keys that are due, or one shared blocking read. */
  private async step(): Promise<void> {
    if (!this.reader.ready) {
      await this.reconnected();
      return;
    }
    const now = Date.now();
    const due: Followed[] = [];
    const healthy: string[] = [];
    let nextRetry = Infinity;
    for (const followed of this.byKey.values()) {
      if (followed.failures === 0) healthy.push(followed.key);
      else if (followed.retryAt <= now) due.push(followed);
      else nextRetry = Math.min(nextRetry, followed.retryAt);
    }
    if (due.length > 0) {
      await this.retry(due);
      return;
    }

    this.wakePending = false; // the read below includes every follow added so far
    const ids = healthy.map((key) => this.oldestPosition(key));
    // A failing key due for a retry ends the block early, so its retry is not late.
    const block = Math.max(1, Math.min(this.settings.blockMs, nextRetry - now));
    let reply: XReadReply;
    try {
      reply = (await this.watched(
        this.reader.redis.xread(
          'COUNT', this.settings.batch,
          'BLOCK', block,
          'STREAMS', this.wakeStream, ...healthy,
          this.wakeId, ...ids,
        ),
        block + this.hangMs,
      )) as XReadReply;
    } catch (err) {
      if (this.closed) return;
      await this.readFailed(err, healthy, ids);
      return;
    }
    this.readFailures = 0;
    this.recovered(healthy);
    if (reply !== null) this.deliver(reply, new Map(healthy.map((key, i) => [key, ids[i]])));
  }

  /**
   * Redis answers a read within its block (or at once). No answer long after that means a hung
   * server or a silent network: the watchdog rejects the read then, and drops the connection at
   * once (ioredis opens a new one) so that reads do not pile up behind a dead socket.
   */
  private watched<T>(pending: Promise<T>, limitMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.catch(() => undefined); // it fails too, once the connection is gone
        reject(new HungRead(`no answer to a read within ${limitMs} ms: Redis hangs, or the network drops packets`));
        void this.reader.drop();
      }, Math.min(limitMs, MAX_TIMER_MS));
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** The shared read failed: an outage or hang, a reply error of one key, or of all of them. */
  private async readFailed(err: unknown, keys: readonly string[], ids: readonly string[]): Promise<void> {
    if (replyCode(err) === undefined) {
      await this.outage(err);
      return;
    }
    // Redis answered with an error: find out which keys it is about.
    const probeKeys = [this.wakeStream, ...keys];
    const probeIds = [this.wakeId, ...ids];
    let results: PipelineResult;
    try {
      results = await this.probe(probeKeys, probeIds);
    } catch (probeErr) {
      if (this.closed) return;
      await this.outage(probeErr);
      return;
    }
    const failed = results.map(([probeErr]) => probeErr);
    const lost = failed.find((e) => e !== null && replyCode(e) === undefined);
    if (lost !== undefined) {
      await this.outage(lost); // the connection failed during the probe
      return;
    }
    const someSucceeded = failed.some((e) => e === null);
    let channels = 0;
    let wakeFailed = false;
    for (let i = 0; i < probeKeys.length; i++) {
      const probeErr = failed[i];
      if (probeErr === null || !(someSucceeded || isKeyError(probeErr))) continue;
      if (i === 0) {
        // Someone wrote to the wake stream's key: use a new one (followers are not concerned).
        wakeFailed = true;
        this.wakeStream = this.newWakeStream();
        this.wakeId = ZERO_ID;
      } else {
        const followed = this.byKey.get(probeKeys[i]);
        if (followed !== undefined) this.keyFailed(followed, probeErr);
        channels++;
      }
    }
    // The failing channels are set aside: the next read goes on at once without them. A new wake
    // stream that fails again (say, an ACL that forbids its keys) is a failure of every channel.
    if (channels > 0 || (wakeFailed && this.readFailures === 0)) {
      if (wakeFailed) this.readFailures++;
      return;
    }
    // Every key fails alike (NOAUTH after a password change, LOADING, NOPERM on XREAD itself...), or
    // the failure went away between read and probe: every follower hears of it, and it is retried.
    this.reportAll(this.reader.failure('follow', err));
    await this.sleep(this.backoff(++this.readFailures));
  }

  /** Redis cannot be reached or hangs: tell every follower once, wait for the connection. */
  private async outage(err: unknown): Promise<void> {
    this.reportAll(this.reader.failure('follow', err));
    if (err instanceof HungRead) await this.reader.drop();
    if (this.reader.ready) {
      // Connected, yet the command failed (say, the socket is closing): not a hot loop.
      await this.sleep(this.backoff(++this.readFailures));
    } else {
      await this.reconnected();
    }
  }

  /**
   * Waits until the reader is connected again. Redis may refuse the new connection (a password set
   * or changed while running: NOAUTH, WRONGPASS): the followers, told of the lost connection, are
   * then also told once what Redis answered, so the report does not stop at "cannot be reached".
   */
  private async reconnected(): Promise<void> {
    let told: string | undefined;
    const onError = (err: Error): void => {
      const code = replyCode(err);
      if (code === undefined || code === told) return;
      told = code;
      const error = this.reader.failure('follow', err);
      for (const followed of [...this.byKey.values()]) for (const f of [...followed.follows]) this.report(f, error, true);
    };
    this.reader.redis.on('error', onError);
    try {
      await this.reader.waitUntilReady();
    } finally {
      this.reader.redis.off('error', onError);
    }
  }

  /** One non-blocking read of each key, pipelined, under the watchdog. */
  private async probe(keys: readonly string[], ids: readonly string[]): Promise<PipelineResult> {
    const pipeline = this.reader.redis.pipeline();
    for (let i = 0; i < keys.length; i++) pipeline.xread('COUNT', 1, 'STREAMS', keys[i], ids[i]);
    const results = await this.watched(pipeline.exec(), this.hangMs);
    if (results === null) throw new Error('the probe was not run');
    return results;
  }

  /** Sets a key aside after a failed read, tells its followers (once), schedules its next try. */
  private keyFailed(followed: Followed, err: Error): void {
    followed.failures++;
    followed.retryAt = Date.now() + this.backoff(followed.failures);
    followed.error ??= this.reader.failure('follow', err, {
      channel: followed.channel,
      key: this.replyPrefix + followed.key,
    });
    for (const f of followed.follows) this.report(f, followed.error);
  }

  /**
   * Probes keys set aside. One that reads again rejoins the shared read. Its followers get the gap
   * signal (EVENTIDE_EVENTS_MISSED) unless the stream provably is the one they were reading: it
   * still holds the entry each last received (a key overwritten with SET has lost its stream).
   */
  private async retry(due: readonly Followed[]): Promise<void> {
    const pipeline = this.reader.redis.pipeline();
    const checks: Array<{ followed: Followed; ids: string[] }> = [];
    for (const followed of due) {
      pipeline.xread('COUNT', 1, 'STREAMS', followed.key, this.oldestPosition(followed.key));
      const ids = [...new Set([...followed.follows].map((f) => f.lastId))].filter((id) => id !== ZERO_ID);
      for (const id of ids) pipeline.xrange(followed.key, id, id);
      checks.push({ followed, ids });
    }
    let results: PipelineResult | null;
    try {
      results = await this.watched(pipeline.exec(), this.hangMs);
      if (results === null) throw new Error('the probe was not run');
    } catch (err) {
      if (this.closed) return;
      if (replyCode(err) !== undefined) {
        for (const { followed } of checks) this.keyFailed(followed, err as Error);
        return;
      }
      await this.outage(err);
      return;
    }
    const lost = results.find(([e]) => e !== null && replyCode(e) === undefined);
    if (lost !== undefined) {
      await this.outage(lost[0]); // the connection failed during the probe
      return;
    }
    let at = 0;
    for (const { followed, ids } of checks) {
      const [readErr] = results[at++];
      const kept = new Set<string>();
      let checkFailed = false;
      for (const id of ids) {
        const [rangeErr, range] = results[at++];
        if (rangeErr !== null) checkFailed = true;
        else if (Array.isArray(range) && range.length > 0) kept.add(id);
      }
      if (this.byKey.get(followed.key) !== followed) continue; // unfollowed meanwhile
      if (readErr !== null || checkFailed) {
        this.keyFailed(followed, readErr ?? new Error('the key could not be checked'));
        continue;
      }
      followed.failures = 0;
      followed.retryAt = 0;
      followed.error = undefined;
      for (const f of followed.follows) {
        f.reported = false;
        if (kept.has(f.lastId)) continue;
        f.lastSeq = undefined; // a new stream numbers its entries anew
        this.report(f, replaced(f.channel, f.lastId), true);
      }
    }
  }

  private oldestPosition(key: string): string {
    let oldest: string | undefined;
    for (const f of this.byKey.get(key)?.follows ?? []) {
      if (oldest === undefined || compareStreamIds(f.lastId, oldest) < 0) oldest = f.lastId;
    }
    return oldest ?? '$';
  }

  // `starts` holds where each key's read began. A follower added while the read was in flight may
  // stand before that start: entries between its position and the start were not read, so it gets
  // nothing from this batch and is caught up by the next read, which starts from its position.
  private deliver(reply: NonNullable<XReadReply>, starts: ReadonlyMap<string, string>): void {
    for (const [replyKey, entries] of reply) {
      const key = replyKey.startsWith(this.replyPrefix) ? replyKey.slice(this.replyPrefix.length) : replyKey;
      if (key === this.wakeStream) {
        if (entries.length > 0) this.wakeId = entries[entries.length - 1][0];
        continue;
      }
      const followed = this.byKey.get(key);
      if (followed === undefined) continue;
      const start = starts.get(key);
      if (start === undefined) continue;
      const follows = [...followed.follows].filter((f) => compareStreamIds(f.lastId, start) >= 0);
      if (follows.length === 0) continue;
      for (const [id, fields] of entries) {
        // Decoded once for all followers of the channel: the hub encodes it once from here.
        const event = entryToEvent(followed.channel, id, fields);
        const seq = entrySeq(fields);
        for (const f of follows) {
          if (!f.active || compareStreamIds(id, f.lastId) <= 0) continue;
          if (f.lastSeq !== undefined && seq !== undefined && seq > f.lastSeq + 1) {
            // Entries this follower never read were trimmed (it was cut off, or far behind).
            this.report(f, missed(f.channel, f.lastId, id, seq - f.lastSeq - 1), true);
          }
          // A smaller number means the stream was created anew: it expired after a quiet spell
          // longer than the channel's history (nothing to miss), or Redis lost it.
          f.lastId = id;
          f.lastSeq = seq;
          const thrown = this.guard.call(f.onEvent, event);
          if (thrown !== undefined) {
            if (f.onError !== undefined) this.report(f, thrown, true);
            else this.guard.tell(`onEvent of a follow of channel ${JSON.stringify(f.channel)} threw`, thrown);
          }
        }
      }
    }
  }

  /** Tells a follower of an error; `always` for per-event news that is not about a failing read. */
  private report(f: Follow, error: Error, always = false): void {
    if (!f.active) return;
    if (!always) {
      if (f.reported) return;
      f.reported = true;
    }
    const thrown = this.guard.call(f.onError, error);
    if (thrown !== undefined) this.guard.tell(`onError of a follow of channel ${JSON.stringify(f.channel)} threw`, thrown);
  }

  private reportAll(error: Error): void {
    for (const followed of [...this.byKey.values()]) for (const f of [...followed.follows]) this.report(f, error);
  }

  /** The keys just read work: their followers may hear of the next failure. */
  private recovered(keys: readonly string[]): void {
    for (const key of keys) {
      const followed = this.byKey.get(key);
      if (followed !== undefined) for (const f of followed.follows) f.reported = false;
    }
  }

  private backoff(failures: number): number {
    return Math.min(RETRY_FIRST_MS * 2 ** Math.min(failures - 1, 20), RETRY_MAX_MS);
  }

  /** Waits `ms`, or less if the follower is closed or a follow is added. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wakeUp(), ms);
      this.sleeping = { timer, resolve };
    });
  }

  private wakeUp(): void {
    const sleeping = this.sleeping;
    if (sleeping === undefined) return;
    this.sleeping = undefined;
    clearTimeout(sleeping.timer);
    sleeping.resolve();
  }

  private newWakeStream(): string {
    return `${this.settings.keyPrefix}wake:${randomUUID()}`;
  }
}

function missed(channel: string, lastId: string, nextId: string, count: number): EventideError {
  return new EventideError(
    'EVENTIDE_EVENTS_MISSED',
    `channel ${JSON.stringify(channel)}: ${count} event(s) after ${lastId} and before ${nextId} were trimmed from Redis ` +
      'before this process could read them; raise followWindow / followGraceMs or check the connection',
  );
}

function replaced(channel: string, lastId: string): EventideError {
  return new EventideError(
    'EVENTIDE_EVENTS_MISSED',
    `channel ${JSON.stringify(channel)}: its Redis stream could not be read for a while and no longer holds ` +
      `${lastId}, the last event delivered (the key was overwritten or deleted): events after it may be lost, ` +
      'so subscribers get the gap signal',
  );
}
