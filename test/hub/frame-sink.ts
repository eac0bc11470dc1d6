// The hub's fast path as a client sees it: a SourceSink that records every write a connection would
// make and parses the bytes with the protocol parser, so assertions are on received events.
import { Observable } from 'rxjs';
import { frameOf } from '../../src/protocol/frames.js';
import { createParser, type Parser } from '../../src/protocol/parse.js';
import type { MessageEvent } from '../../src/protocol/types.js';
import { FRAME_SOURCE, type FrameSourceProvider, type SourceSink, type StreamSource } from '../../src/sources/types.js';
import { ANCHOR_EVENT_TYPE, GAP_EVENT_TYPE, type Hub, type HubEvent, type SubscribeOptions } from '../../src/hub/index.js';
import { normalizeChannels } from '../../src/hub/ids.js';

/** Hears what a RecordingSink receives. */
export interface SinkObserver {
  next?(event: HubEvent): void;
  error?(err: unknown): void;
  complete?(): void;
}

/** A SourceSink standing in for a connection. `ready()` answers from `gate` (default: go on). */
export class RecordingSink implements SourceSink {
  /** Every `frame()` write, in order (values given to `next()` are recorded too, encoded). */
  readonly writes: Uint8Array[] = [];
  /** The events a client parsing the writes received, anchors included (they dispatch nothing). */
  readonly events: HubEvent[] = [];
  completed = false;
  failure: unknown = undefined;
  /** Calls of `ready()` that returned a promise. */
  waits = 0;
  /** While set, `ready()` returns a promise that settles on `release()`. */
  gate = false;
  /**
   * When set, the gate closes by itself once this many bytes were written since the last
   * `release()`: a connection whose socket fills up.
   */
  budget: number | undefined;
  #sinceRelease = 0;
  readonly #parser: Parser;
  readonly #channels: readonly string[];
  readonly #observer: SinkObserver;
  #lastId: string;
  #positions: (string | undefined)[];
  #release: (() => void)[] = [];
  #hint: string | undefined;

  /**
   * @param channels - the subscription's channels (to tell which channel an event belongs to).
   * @param lastEventId - where the stream resumes from, if anywhere.
   */
  constructor(channels: string | readonly string[], lastEventId?: string | null, observer: SinkObserver = {}) {
    this.#channels = normalizeChannels(channels);
    this.#observer = observer;
    this.#lastId = typeof lastEventId === 'string' ? lastEventId : '';
    this.#positions = this.#split(this.#lastId);
    this.#parser = createParser({
      onEvent: (parsed) => {
        const type = parsed.type === 'message' ? undefined : parsed.type;
        const data = type === GAP_EVENT_TYPE ? JSON.parse(parsed.data) : parsed.data;
        const at = this.#split(parsed.lastEventId);
        let channel: string | undefined;
        if (type !== GAP_EVENT_TYPE) {
          channel = this.#channels.length === 1 ? this.#channels[0] : (this.#hint ?? this.#channels.find((_, i) => at[i] !== this.#positions[i]));
        }
        this.#positions = at;
        this.#lastId = parsed.lastEventId;
        this.#push({ id: parsed.lastEventId, data, ...(type === undefined ? {} : { type }), ...(channel === undefined ? {} : { channel }) });
      },
    });
    this.#parser.reset({ lastEventId: this.#lastId });
  }

  next(value: unknown): void {
    // What the connection does with a value: its cached (or freshly encoded) frame. A client
    // tells a multi-channel event's channel by the position that moved; a fresh stream's first
    // event has no earlier position, so the channel is taken from the object here.
    this.#hint = (value as { channel?: string }).channel;
    try {
      this.frame(frameOf(value as MessageEvent<unknown>));
    } finally {
      this.#hint = undefined;
    }
  }

  frame(bytes: Uint8Array): void {
    this.writes.push(bytes);
    this.#sinceRelease += bytes.length;
    if (this.budget !== undefined && this.#sinceRelease >= this.budget) this.gate = true;
    this.#parser.feed(bytes);
    // An id-only block (an anchor) dispatches nothing but moves the client's last event id.
    if (this.#parser.lastEventId !== this.#lastId) {
      this.#lastId = this.#parser.lastEventId;
      this.#positions = this.#split(this.#lastId);
      this.#push({ type: ANCHOR_EVENT_TYPE, data: '', id: this.#lastId });
    }
  }

  error(err: unknown): void {
    this.failure = err;
    this.#observer.error?.(err);
  }

  complete(): void {
    this.completed = true;
    this.#observer.complete?.();
  }

  /** The connection's demand: none while the gate is shut, else what is left of the budget. */
  demand(): number {
    if (this.gate) return 0;
    return this.budget === undefined ? Infinity : this.budget - this.#sinceRelease;
  }

  ready(): Promise<void> | undefined {
    if (!this.gate) return undefined;
    this.waits++;
    const wait = new Promise<void>((resolve) => this.#release.push(resolve));
    // A socket that drains by itself a turn later: the subscription lags and catches up all along.
    if (this.autoDrain) setImmediate(() => this.release());
    return wait;
  }

  /** When set, a shut gate reopens by itself on the next turn (with `budget`: a small socket). */
  autoDrain = false;

  /** Bytes written since the last `release()`. */
  get sinceRelease(): number {
    return this.#sinceRelease;
  }

  /** Opens the gate and settles every pending `ready()`. */
  release(): void {
    this.gate = false;
    this.#sinceRelease = 0;
    const pending = this.#release;
    this.#release = [];
    for (const resolve of pending) resolve();
  }

  #push(event: HubEvent): void {
    const frozen = Object.freeze(event);
    this.events.push(frozen);
    this.#observer.next?.(frozen);
  }

  #split(id: string): (string | undefined)[] {
    if (this.#channels.length === 1) return [id];
    const parts = id.split(',');
    return parts.length === this.#channels.length + 1 ? parts.slice(1) : this.#channels.map(() => undefined);
  }
}

/** The fast-path StreamSource of what `hub.subscribe()` returned. */
export function frameSourceOf(observable: Observable<HubEvent>): StreamSource {
  const provider = observable as unknown as Partial<FrameSourceProvider>;
  if (typeof provider[FRAME_SOURCE] !== 'function') throw new Error('no fast path on this Observable');
  return provider[FRAME_SOURCE]();
}

/**
 * Makes `hub.subscribe()` go through the fast path: each returned Observable, when subscribed,
 * starts the frame source into a RecordingSink and emits what a client parses from the bytes.
 * Data comes back as text (gap signals parsed back from JSON), as a client receives it.
 */
export function subscribeThroughFrames(hub: Hub, socketBytes?: number): void {
  const original = hub.subscribe.bind(hub);
  (hub as { subscribe: Hub['subscribe'] }).subscribe = ((channels: string | readonly string[], options: SubscribeOptions = {}) => {
    const inner = original(channels, options);
    return new Observable<HubEvent>((subscriber) => {
      const source = frameSourceOf(inner);
      const sink = new RecordingSink(channels, options?.lastEventId, subscriber);
      if (socketBytes !== undefined) {
        sink.budget = socketBytes;
        sink.autoDrain = true;
      }
      source.start(sink);
      return () => source.stop();
    });
  }) as Hub['subscribe'];
}
