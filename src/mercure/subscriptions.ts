// Active subscriptions ([draft-07] / [draft-08] "Active Subscriptions"): the hub publishes a
// private update when a subscription starts and ends, and lists the live ones through a web API.
// The registry is this process's, or (with `subscriptionsRedis`) shared through Redis by every
// process of a cluster; subscription events travel on the shared channel either way.
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

/** Which subscriptions a subscriptions-API path asks for. */
export interface SubscriptionFilter {
  readonly selector?: string;
  readonly matchType?: string;
  readonly subscriber?: string;
}

/** True when `info` is under the path `filter` describes: all, one selector's, or one. */
export function inFilter(info: SubscriptionInfo, filter: SubscriptionFilter): boolean {
  if (filter.selector !== undefined && info.topic !== filter.selector) return false;
  if (filter.matchType !== undefined && info.matchType !== filter.matchType) return false;
  return filter.subscriber === undefined || info.subscriber === filter.subscriber;
}

/** Where the subscriptions API finds the active subscriptions: this process's, or a cluster's. */
export interface SubscriptionDirectory {
  /** Active subscriptions of this process. */
  readonly size: number;
  add(info: SubscriptionInfo): void;
  delete(info: SubscriptionInfo): void;
  /** The active subscriptions under a path. */
  list(filter: SubscriptionFilter): Promise<SubscriptionInfo[]>;
  close(): Promise<void>;
}

/** This process's active subscriptions. */
export class SubscriptionRegistry implements SubscriptionDirectory {
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

  /** Every active subscription of this process. */
  values(): IterableIterator<SubscriptionInfo> {
    return this.#active.values();
  }

  async list(filter: SubscriptionFilter): Promise<SubscriptionInfo[]> {
    return [...this.#active.values()].filter((info) => inFilter(info, filter));
  }

  async close(): Promise<void> {
    this.#active.clear();
  }
}
