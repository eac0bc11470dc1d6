// Active subscriptions ([draft-07] / [draft-08] "Active Subscriptions"): the hub publishes a
// private update when a subscription starts and ends, and lists the live ones through a web API.
// The registry is this process's: in a cluster each process lists its own subscribers, while the
// subscription events (published on the shared channel) reach subscribers on every process.
import type { Selection } from './subscribe.js';

/** Where subscription resources live. */
export const SUBSCRIPTIONS_PATH = '/.well-known/mercure/subscriptions';

/** The JSON-LD context of Mercure documents. */
export const MERCURE_CONTEXT = 'https://mercure.rocks/';

/** One active subscription, as the API and the events describe it. */
export interface SubscriptionInfo {
  readonly id: string;
  readonly type: 'Subscription';
  readonly topic: string;
  readonly matchType?: string;
  readonly match?: string;
  readonly subscriber: string;
  readonly active: boolean;
  readonly payload?: unknown;
}

/**
 * The topic of a subscription's events. A draft-07 `topic` selector gives
 * `/.well-known/mercure/subscriptions/{topic}/{subscriber}`, a draft-08 matcher
 * `/.well-known/mercure/subscriptions/{matchType}/{match}/{subscriber}`; each variable is
 * percent-encoded once, as a whole.
 */
export function subscriptionTopic(selection: Selection, subscriber: string): string {
  const enc = encodeURIComponent;
  return selection.kind === 'topic'
    ? `${SUBSCRIPTIONS_PATH}/${enc(selection.selector)}/${enc(subscriber)}`
    : `${SUBSCRIPTIONS_PATH}/${selection.kind}/${enc(selection.selector)}/${enc(subscriber)}`;
}

/** Describes a subscription. */
export function describe(selection: Selection, subscriber: string, active: boolean, payload: unknown): SubscriptionInfo {
  const info: Record<string, unknown> = {
    id: subscriptionTopic(selection, subscriber),
    type: 'Subscription',
    topic: selection.selector,
  };
  if (selection.kind !== 'topic') {
    info.matchType = selection.kind;
    info.match = selection.selector;
  }
  info.subscriber = subscriber;
  info.active = active;
  if (payload !== undefined) info.payload = payload;
  return info as unknown as SubscriptionInfo;
}

/** This process's active subscriptions. */
export class SubscriptionRegistry {
  readonly #active = new Map<string, SubscriptionInfo>();

  get size(): number {
    return this.#active.size;
  }

  add(info: SubscriptionInfo): void {
    this.#active.set(info.id, info);
  }

  delete(info: SubscriptionInfo): void {
    this.#active.delete(info.id);
  }

  /** The subscriptions under a path: all, one selector's, or one. */
  list(filter: { selector?: string; matchType?: string; subscriber?: string }): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = [];
    for (const info of this.#active.values()) {
      if (filter.selector !== undefined && info.topic !== filter.selector) continue;
      if (filter.matchType !== undefined ? info.matchType !== filter.matchType : false) continue;
      if (filter.subscriber !== undefined && info.subscriber !== filter.subscriber) continue;
      out.push(info);
    }
    return out;
  }
}
