// Encode once: an event that arrives from the backend is turned, once per process, into a shared
// wire body and a shared data value. Every subscriber's event object reuses them.
import { encodeBody, freezeWithFrame, withId } from '../protocol/frames.js';
import type { StoredEvent } from './backend.js';
import { ANCHOR_EVENT_TYPE, type HubEvent } from './types.js';


/** One stored event, ready to be handed to any number of subscribers. */
export class PreparedEvent {
  readonly stored: StoredEvent;
  /** The event's frame without its `id:` line, encoded once. */
  readonly body: Uint8Array;
  /** The published value (parsed back from JSON once), deeply frozen. */
  readonly data: unknown;
  #single: HubEvent | undefined;
  #singleFrame: Uint8Array | undefined;
  // During a live fan-out, subscribers of the same channel set that stand at the same positions
  // get the same stream id: they share one event object (and one frame) instead of one each.
  #shared: Map<string, HubEvent> | undefined;

  constructor(stored: StoredEvent) {
    this.stored = stored;
    // Only `type` and `retry`: the `id:` line differs per stream and is prefixed later.
    this.body = encodeBody({ type: stored.type, retry: stored.retry }, stored.data);
    this.data = stored.json ? deepFreeze(JSON.parse(stored.data)) : stored.data;
  }

  get id(): string {
    return this.stored.id;
  }

  /** The event every single-channel subscriber of this channel receives: one object, one frame. */
  single(): HubEvent {
    if (this.#single === undefined) {
      const frame = withId(this.stored.id, this.body);
      this.#single = this.#event(this.stored.id, frame);
      this.#singleFrame = frame;
    }
    return this.#single;
  }

  /** The wire frame of {@link single}: what a single-channel fast-path subscriber writes as is. */
  singleFrame(): Uint8Array {
    if (this.#singleFrame === undefined) this.single();
    return this.#singleFrame!;
  }

  /** Runs `deliver` (one fan-out to every listener) with equal stream ids sharing one event. */
  fanOut(deliver: () => void): void {
    this.#shared = new Map();
    try {
      deliver();
    } finally {
      this.#shared = undefined;
    }
  }

  /** A frozen event carrying `streamId`, its frame made from the shared body (no re-encoding). */
  withStreamId(streamId: string): HubEvent {
    const shared = this.#shared?.get(streamId);
    if (shared !== undefined) return shared;
    const event = this.#event(streamId, withId(streamId, this.body));
    this.#shared?.set(streamId, event);
    return event;
  }

  #event(streamId: string, frame: Uint8Array): HubEvent {
    const { type, retry, channel } = this.stored;
    return freezeWithFrame(
      {
        id: streamId,
        channel,
        data: this.data,
        ...(type === undefined ? {} : { type }),
        ...(retry === undefined ? {} : { retry }),
      },
      frame,
    );
  }
}

/**
 * True when `event` has the anchor type. Hub subscriptions never emit anchors (they exist only on
 * the wire), so operators need no such check; this remains for code that inspects parsed frames.
 */
export function isAnchor(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { type?: unknown }).type === ANCHOR_EVENT_TYPE;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
