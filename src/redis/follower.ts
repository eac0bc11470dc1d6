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
import type { StoredEvent } from '../hub/backend.js';
import type { Link } from './connection.js';
import { EventideError } from '../errors.js';
import { entrySeq, entryToEvent } from './entries.js';
import { compareStreamIds } from './ids.js';

interface Follow {
  readonly channel: string;
  readonly key: string;
  lastId: string;
  /** Sequence number of the entry at lastId, when known: the next one must be exactly one more. */
  lastSeq: number | undefined;
  readonly onEvent: (event: StoredEvent) => void;
  readonly onError: ((error: Error) => void) | undefined;
  active: boolean;
  /** Told about the current outage already (one report per outage). */
  reported: boolean;
}

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

/** Settings of the shared reader. */
export interface FollowerSettings {
  readonly blockMs: number;
  /** A read not answered this long after its block ended means Redis hangs. */
  readonly hangMs: number;
  readonly batch: number;
  readonly wakeKey: string;
}

/** Owns the reader connection's loop; the backend adds and removes follows. */
export class Follower {
  private readonly byKey = new Map<string, Set<Follow>>();
  private running = false;
  private closed = false;
  private wakeId = '0-0';
  // One wake per pending read is enough: many follows added at once cost one XADD.
  private wakePending = false;
  // ioredis does not strip its own keyPrefix option from XREAD replies.
  private readonly replyPrefix: string;

  constructor(
    private readonly reader: Link,
    private readonly command: Link,
    private readonly settings: FollowerSettings,
  ) {
    this.replyPrefix = reader.redis.options.keyPrefix ?? '';
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
    let set = this.byKey.get(key);
    if (set === undefined) this.byKey.set(key, (set = new Set()));
    set.add(follow);
    if (!this.running) void this.loop();
    else this.wake();
    return () => this.remove(follow);
  }

  /** Number of channels followed now (for tests and metrics). */
  get channelCount(): number {
    return this.byKey.size;
  }

  private remove(follow: Follow): void {
    if (!follow.active) return;
    follow.active = false;
    const set = this.byKey.get(follow.key);
    if (set === undefined) return;
    set.delete(follow);
    if (set.size === 0) this.byKey.delete(follow.key);
    // No wake: the removed key costs nothing until the pending read returns.
  }

  /** Ends every follow; the loop stops after its pending read. */
  close(): void {
    this.closed = true;
    for (const set of this.byKey.values()) for (const f of set) f.active = false;
    this.byKey.clear();
  }

  private wake(): void {
    if (this.wakePending) return;
    if (!this.command.ready) return; // the reader is down too, or will re-read the keys when it returns
    this.wakePending = true;
    this.command.redis
      .multi()
      .xadd(this.settings.wakeKey, 'MAXLEN', '1', '*', 'w', '1')
      .pexpire(this.settings.wakeKey, 3_600_000)
      .exec()
      .catch(() => undefined); // worst case the new follow starts when the pending block ends
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.byKey.size > 0) {
        if (!this.reader.ready) {
          await this.reader.waitUntilReady();
          continue;
        }
        this.wakePending = false; // the read below includes every follow added so far
        const keys = [...this.byKey.keys()];
        const ids = keys.map((key) => this.oldestPosition(key));
        let reply: XReadReply;
        // Redis answers a blocking read within blockMs. No answer long after that means a hung
        // server or a silent network: drop the connection (ioredis opens a new one), so that the
        // outage is reported and reads do not pile up behind a dead socket.
        let hung = false;
        const watchdog = setTimeout(() => {
          hung = true;
          this.reader.redis.disconnect(true);
        }, this.settings.blockMs + this.settings.hangMs);
        try {
          reply = (await this.reader.redis.xread(
            'COUNT', this.settings.batch,
            'BLOCK', this.settings.blockMs,
            'STREAMS', this.settings.wakeKey, ...keys,
            this.wakeId, ...ids,
          )) as XReadReply;
        } catch (err) {
          if (this.closed) break;
          this.report(hung ? new Error(`no answer to a read within ${this.settings.blockMs + this.settings.hangMs} ms`) : err);
          // A dropped connection is retried when ioredis has reconnected; any other error (say a
          // key of the wrong type) is retried after a pause rather than in a hot loop.
          if (this.reader.ready) await pause(this.settings.blockMs);
          else await this.reader.waitUntilReady();
          continue;
        } finally {
          clearTimeout(watchdog);
        }
        this.recovered();
        if (reply !== null) this.deliver(reply, new Map(keys.map((key, i) => [key, ids[i]])));
      }
    } finally {
      this.running = false;
    }
    // A follow added while the loop was finishing its last read.
    if (!this.closed && this.byKey.size > 0) void this.loop();
  }

  private oldestPosition(key: string): string {
    let oldest: string | undefined;
    for (const f of this.byKey.get(key) ?? []) {
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
      if (key === this.settings.wakeKey) {
        if (entries.length > 0) this.wakeId = entries[entries.length - 1][0];
        continue;
      }
      const set = this.byKey.get(key);
      if (set === undefined) continue;
      const start = starts.get(key);
      if (start === undefined) continue;
      const follows = [...set].filter((f) => compareStreamIds(f.lastId, start) >= 0);
      if (follows.length === 0) continue;
      for (const [id, fields] of entries) {
        // Decoded once for all followers of the channel: the hub encodes it once from here.
        const event = entryToEvent(follows[0].channel, id, fields);
        const seq = entrySeq(fields);
        for (const f of follows) {
          if (!f.active || compareStreamIds(id, f.lastId) <= 0) continue;
          if (f.lastSeq !== undefined && seq !== undefined && seq > f.lastSeq + 1) {
            // Entries this follower never read were trimmed (it was cut off, or far behind).
            f.onError?.(missed(f.channel, f.lastId, id, seq - f.lastSeq - 1));
          }
          // A smaller number means the stream was created anew: it expired after a quiet spell
          // longer than the channel's history (nothing to miss), or Redis lost it.
          f.lastId = id;
          f.lastSeq = seq;
          try {
            f.onEvent(event);
          } catch (err) {
            f.onError?.(err instanceof Error ? err : new Error(String(err)));
          }
        }
      }
    }
  }

  private report(err: unknown): void {
    const error = this.reader.unavailable('EVENTIDE_BACKEND_UNAVAILABLE', err);
    for (const set of this.byKey.values()) {
      for (const f of set) {
        if (f.reported) continue;
        f.reported = true;
        f.onError?.(error);
      }
    }
  }

  private recovered(): void {
    for (const set of this.byKey.values()) for (const f of set) f.reported = false;
  }
}

function missed(channel: string, lastId: string, nextId: string, count: number): EventideError {
  return new EventideError(
    'EVENTIDE_EVENTS_MISSED',
    `channel ${JSON.stringify(channel)}: ${count} event(s) after ${lastId} and before ${nextId} were trimmed from Redis ` +
      'before this process could read them; raise followWindow / followGraceMs or check the connection',
  );
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
