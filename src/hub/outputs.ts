// The two places a hub subscription delivers to. The frame subscription is the fast path of an @Sse
// route that returns `hub.subscribe(...)` as is: it writes encoded frames to the connection. The
// Observable output feeds an rxjs Subscriber (operators, or any subscriber at all); when the
// subscription was made while a connection subscribed (see src/sources/demand.ts), it paces itself
// by that connection's demand and writes the anchor on that connection's wire.
import type { Subscriber } from 'rxjs';
import { idOnlyFrame } from '../protocol/frames.js';
import type { OfferedDemand } from '../sources/demand.js';
import type { SourceSink, StreamSource } from '../sources/types.js';
import type { FeedBatch } from './feed.js';
import type { PreparedEvent } from './prepared.js';
import { HubSubscription, type SubscriptionHost, type SubscriptionOutput } from './subscription.js';
import type { HubEvent } from './types.js';

/**
 * The anchor frame of the position anchored last: subscribers that start at the same position
 * (every new one at a channel's head) share one frame, and their queues follow one another.
 */
let lastAnchor: { id: string; frame: Uint8Array } | undefined;

function anchorFrame(id: string): Uint8Array {
  if (lastAnchor?.id !== id) lastAnchor = { id, frame: idOnlyFrame(id) };
  return lastAnchor.frame;
}

/** Demand of a sink: what it says, or unbounded when it says nothing. */
function demandOf(sink: SourceSink): number {
  return sink.demand === undefined ? Infinity : sink.demand();
}

/**
 * The fast path: frames straight to a connection. The subscription is its own output and the
 * connection's source: one object per held stream.
 */
export class FrameSubscription extends HubSubscription implements SubscriptionOutput, StreamSource {
  // Where the stream starts, kept until the connection starts it.
  readonly #lastEventId: unknown;
  readonly #anchor: boolean;
  #sink: SourceSink | undefined;

  constructor(host: SubscriptionHost, channels: readonly string[], lastEventId: unknown, anchor: boolean) {
    super(host, channels);
    this.#lastEventId = lastEventId;
    this.#anchor = anchor;
  }

  /** Live events come a turn at a time (the subscription takes batches of a single channel only). */
  get batched(): boolean {
    return true;
  }

  get joins(): boolean {
    return true;
  }

  get paced(): boolean {
    return this.#sink?.demand !== undefined;
  }

  // ---- StreamSource ----

  start(sink: SourceSink): void {
    // Stopped before it started: it never opens.
    if (this.closed) return;
    this.#sink = sink;
    const refused = this.host.open(this, this.#lastEventId, this.#anchor);
    if (refused !== undefined) sink.error(refused);
  }

  stop(): void {
    this.host.close(this);
  }

  // ---- SubscriptionOutput ----

  event(event: PreparedEvent, streamId: string | undefined): void {
    if (streamId === undefined) this.#sink!.frame(event.singleFrame(), 1);
    else this.#sink!.next(event.withStreamId(streamId));
  }

  batch(batch: FeedBatch): void {
    this.#sink!.frame(batch.bytes, batch.events.length);
  }

  signal(event: HubEvent): void {
    this.#sink!.next(event);
  }

  anchor(streamId: string): void {
    this.#sink!.frame(anchorFrame(streamId), 0);
  }

  error(err: unknown): void {
    this.#sink!.error(err);
  }

  complete(): void {
    this.#sink!.complete();
  }

  demand(): number {
    return demandOf(this.#sink!);
  }

  ready(): Promise<void> | undefined {
    return this.#sink!.ready();
  }

  unsent(): number | undefined {
    return this.#sink!.unsent?.();
  }

  stalled(): void {
    this.#sink!.stalled?.();
  }
}

/** An rxjs Subscriber, paced by the connection that subscribed it, if any. */
export class ObservableOutput implements SubscriptionOutput {
  // Live events come a turn at a time (one subscriber's run of calls, not one call per subscriber
  // per event) and go out one by one, through whatever operators the subscriber applied.
  readonly batched = true;
  readonly joins = false;
  readonly paced: boolean;
  readonly #subscriber: Subscriber<HubEvent>;
  readonly #sink: SourceSink | undefined;
  readonly #ownsPosition: boolean;

  constructor(subscriber: Subscriber<HubEvent>, offered: OfferedDemand | undefined) {
    this.#subscriber = subscriber;
    this.#sink = offered?.sink;
    this.#ownsPosition = offered?.first === true;
    this.paced = offered?.sink.demand !== undefined;
  }

  event(event: PreparedEvent, streamId: string | undefined): void {
    this.#subscriber.next(streamId === undefined ? event.single() : event.withStreamId(streamId));
  }

  batch(): void {
    throw new Error('an Observable output emits events one by one, never joined bytes');
  }

  signal(event: HubEvent): void {
    this.#subscriber.next(event);
  }

  anchor(streamId: string): void {
    // Only on the wire, and only by the stream that gives the connection its position: operators
    // never see it, so nothing can turn it into a message or strip its id.
    if (this.#ownsPosition) this.#sink!.frame(anchorFrame(streamId), 0);
  }

  error(err: unknown): void {
    this.#subscriber.error(err);
  }

  complete(): void {
    this.#subscriber.complete();
  }

  demand(): number {
    return this.#sink === undefined ? Infinity : demandOf(this.#sink);
  }

  ready(): Promise<void> | undefined {
    return this.#sink?.ready();
  }

  unsent(): number | undefined {
    return this.#sink?.unsent?.();
  }

  stalled(): void {
    this.#sink?.stalled?.();
  }
}
