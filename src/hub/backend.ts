// The storage and transport behind a Hub. The memory backend serves one process; the Redis
// Streams backend (`eventide/redis`) serves many. The hub itself never knows which it talks to.

/** What the hub hands to a backend to append: an event whose data is already serialized. */
export interface EventRecord {
  /** The `event:` name, if any. */
  readonly type?: string;
  /** The `retry:` value, if any. */
  readonly retry?: number;
  /** The serialized data: exactly the text a client's `event.data` will hold. */
  readonly data: string;
  /** True when `data` is the JSON encoding of a non-string value (so it can be parsed back). */
  readonly json: boolean;
}

/** An event as a backend stores and delivers it. */
export interface StoredEvent extends EventRecord {
  /**
   * The backend-assigned id: strictly increasing within its channel and never reused, safe on the
   * wire (no CR, LF or NUL), and free of `,` (the hub joins positions with it in multi-channel ids).
   */
  readonly id: string;
  /** The channel the event was published to. */
  readonly channel: string;
  /** When the backend stored it (milliseconds since the epoch). */
  readonly time: number;
}

/** How much history a channel keeps. An event goes when either bound drops it. */
export interface HistoryLimits {
  /** Most events kept per channel (0 keeps none). */
  readonly maxEvents: number;
  /** Oldest event kept, in milliseconds (0 keeps none). */
  readonly maxAgeMs: number;
}

/** The answer of {@link HubBackend.readAfter}. */
export interface ReadResult {
  /** Every retained event with an id after the one asked for, oldest first. */
  readonly events: readonly StoredEvent[];
  /**
   * False when the answer cannot be trusted to be gapless: events after the id were trimmed away,
   * or the id is unknown (malformed, from another channel, or ahead of the channel).
   */
  readonly complete: boolean;
  /**
   * The channel's position when the read was made: its newest id, or for a channel without events
   * an id that every future event of the channel will follow. Reading after `head` later is
   * complete unless events were dropped in between.
   */
  readonly head: string;
}

/**
 * The contract every hub backend fulfils. One test suite, `describeBackendContract` in
 * test/hub/backend-contract.ts, runs against every implementation.
 */
export interface HubBackend {
  /**
   * Stores one event at the end of `channel`, trimming history to `limits`, and resolves with the
   * stored event once it is durable for this backend. Rejects with `EVENTIDE_PUBLISH_FAILED` when
   * it could not be stored: never resolves for an event that was not kept.
   */
  append(channel: string, record: EventRecord, limits: HistoryLimits): Promise<StoredEvent>;

  /**
   * Reads the retained events of `channel` after `after` (exclusive). With `after` undefined,
   * returns no events, `complete: true` and the current head: the position to follow from.
   * `limit`, when given, asks for at most that many events (the oldest ones): a lagging subscriber
   * catches up in slices. A backend may ignore it and return them all (`complete` and `head` keep
   * their meaning either way).
   * `known`, when given with `limit`, finds events the caller already holds by id: a backend may
   * then return those objects instead of fetching their content again (a remote backend transfers
   * only the ids of the slice). It must return exactly what it would have read otherwise.
   */
  readAfter(
    channel: string,
    after: string | undefined,
    limit?: number,
    known?: (id: string) => StoredEvent | undefined,
  ): Promise<ReadResult>;

  /**
   * Delivers, in order and exactly once, every event of `channel` with an id after `after`, as it is
   * appended by any process, until the returned function is called. `onError` hears of trouble
   * (e.g. the backend is unreachable); delivery resumes from the last delivered id once it recovers.
   * `onEvent` may run synchronously (inside `append`, or inside `follow` for retained events
   * after `after`) or later: callers must be ready for both.
   */
  follow(
    channel: string,
    after: string,
    onEvent: (event: StoredEvent) => void,
    onError?: (error: Error) => void,
  ): () => void;

  /** Orders two ids of the same channel: negative, zero or positive, like `Array.prototype.sort`. */
  compareIds(a: string, b: string): number;

  /** True when `id` has the form of this backend's ids (cheap syntax check, no I/O). */
  isValidId(id: string): boolean;

  /** The id before every event: where a subscriber that has seen nothing stands. */
  readonly zeroId: string;

  /** Releases what the backend holds (connections, timers). Pending follows end. */
  close(): Promise<void>;
}
