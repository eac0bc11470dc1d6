// The subscribe side: which topics a request selects, where its stream starts (Last-Event-ID,
// `lastEventID`, `earliest`), and the stream of the updates it may see.
import { Observable } from 'rxjs';
import { GAP_EVENT_TYPE, isAnchor, type Hub, type HubEvent, type MessageEvent } from '../index.js';
import { normalizeType } from './grants.js';
import { badRequest, Refusal } from './refusal.js';
import { compileMatcher, isCleanTopic, type MatchType, type SelectorCache, type TopicMatcher } from './selectors.js';
import type { PositionIndex } from './positions.js';
import { frameOf, fromStored, storedPrefix, type Update } from './update.js';

/** One subscription of a request: a selector and how it is read. */
export interface Selection {
  /** `topic` (draft-07 selector: exact, URI template or `*`), or a draft-08 matcher type. */
  readonly kind: 'topic' | MatchType;
  readonly selector: string;
  readonly matches: TopicMatcher;
}

/** Bounds of a subscribe request. */
export interface SubscribeLimits {
  readonly maxTopics: number;
  readonly maxTopicLength: number;
}

/**
 * Reads the selectors of a subscribe query: draft-07 `topic`, draft-08 `match`, `match_exact`,
 * `match_urlpattern` (and the `matchExact` / `matchURLPattern` spelling of later revisions), and
 * `matchURITemplate` (an optional matcher type of later revisions).
 * Other parameters in the reserved `match` namespace are refused with 400, as draft-08 asks.
 */
export function selectionsOf(query: URLSearchParams, selectors: SelectorCache, limits: SubscribeLimits, base: string): Selection[] {
  const out: Selection[] = [];
  for (const [name, value] of query) {
    let kind: Selection['kind'];
    if (name === 'topic') kind = 'topic';
    else if (name.toLowerCase().startsWith('match')) {
      const suffix = name.slice(5).replace(/^_/, '');
      const type = suffix === '' ? 'Exact' : normalizeType(suffix);
      if (type === undefined) throw badRequest(`unknown matcher parameter ${JSON.stringify(name)}: use topic, match, matchURLPattern or matchURITemplate`);
      kind = type;
    } else continue;
    if (out.length >= limits.maxTopics) throw badRequest(`a subscription may have at most ${limits.maxTopics} selectors`);
    if (value.length === 0) throw badRequest(`an empty ${name} selector selects nothing`);
    if (value.length > limits.maxTopicLength) throw badRequest(`a selector may be at most ${limits.maxTopicLength} characters long`);
    if (!isCleanTopic(value)) throw badRequest('a selector must not contain control characters');
    let matches: TopicMatcher;
    if (kind === 'topic') matches = selectors.get(value);
    else {
      try {
        matches = compileMatcher(kind, value, base);
      } catch (err) {
        throw badRequest(`${name}: ${(err as Error).message}`);
      }
    }
    // Identical selectors make one subscription ([draft-08] allows deduplicating them).
    if (!out.some((s) => s.kind === kind && s.selector === value)) out.push({ kind, selector: value, matches });
  }
  if (out.length === 0) throw badRequest('subscribe with at least one `topic` (or `match`) query parameter');
  return out;
}

/** Where a stream starts, decided before the response opens. */
export interface StartPoint {
  /** The hub position to follow from (events after it are sent). */
  readonly position: string;
  /** An update to send before following (the oldest one, for `earliest` over trimmed history). */
  readonly leading: Update | undefined;
  /** The `Last-Event-ID` response header, when the request carried one. */
  readonly responseLastEventId: string | undefined;
}

/**
 * Locates the client's last event in the channel's history. The hub position is fixed here,
 * before the response opens, so that nothing published after the client is told it is
 * connected can be missed.
 */
export async function startPoint(hub: Hub, channel: string, lastEventId: string | undefined, index: PositionIndex): Promise<StartPoint> {
  const backend = hub.backend;
  if (lastEventId === undefined || lastEventId === '') {
    const { head } = await backend.readAfter(channel, undefined);
    return { position: head, leading: undefined, responseLastEventId: undefined };
  }
  const known = index.get(lastEventId);
  if (known !== undefined) return { position: known, leading: undefined, responseLastEventId: lastEventId };
  const read = await backend.readAfter(channel, backend.zeroId);
  const { events } = read;
  if (lastEventId === 'earliest') {
    if (read.complete || events.length === 0) {
      return { position: read.complete ? backend.zeroId : read.head, leading: undefined, responseLastEventId: 'earliest' };
    }
    const first = events[0]!;
    return { position: first.id, leading: parseUpdate(first.data), responseLastEventId: 'earliest' };
  }
  const prefix = storedPrefix(lastEventId);
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i]!.data.startsWith(prefix)) {
      index.set(lastEventId, events[i]!.id);
      return { position: events[i]!.id, leading: undefined, responseLastEventId: lastEventId };
    }
  }
  // Unknown or no longer retained: follow from now, and say so ([draft-08] Reconciliation).
  return { position: read.head, leading: undefined, responseLastEventId: 'earliest' };
}

function parseUpdate(text: string): Update | undefined {
  try {
    return fromStored(JSON.parse(text));
  } catch {
    return undefined;
  }
}

interface Decoded {
  readonly update: Update;
  readonly frame: MessageEvent<string>;
}

/**
 * Hub events are frozen and shared by every subscriber of the channel in this process: each is
 * decoded once, its frozen frame shared (so the connection encodes it once), and its position
 * recorded in the index.
 */
export class UpdateDecoder {
  readonly #decoded = new WeakMap<object, Decoded | null>();

  constructor(readonly index: PositionIndex) {}

  decode(event: HubEvent): Decoded | null {
    let entry = this.#decoded.get(event);
    if (entry === undefined) {
      const update = fromStored(event.data);
      entry = update === undefined ? null : { update, frame: frameOf(update) };
      if (update !== undefined) this.index.set(update.id, event.id);
      this.#decoded.set(event, entry);
    }
    return entry;
  }
}

/** Sent (without an id) when the hub reports that updates were lost: reload state. */
const GAP_FRAME: MessageEvent<string> = Object.freeze({ type: GAP_EVENT_TYPE, data: '{"updatesLost":true}' });

/**
 * The updates of `channel` from `start` that `visible` lets through, as SSE events. Completes
 * at `expiresAt` (the token's expiry) and when the hub closes.
 */
export function updateStream(
  decoder: UpdateDecoder,
  hub: Hub,
  channel: string,
  start: StartPoint,
  visible: (update: Update) => boolean,
  expiresAt: number | undefined,
): Observable<MessageEvent<string>> {
  return new Observable<MessageEvent<string>>((subscriber) => {
    if (start.leading !== undefined && visible(start.leading)) subscriber.next(frameOf(start.leading));
    const inner = hub.subscribe(channel, { lastEventId: start.position, anchor: false }).subscribe({
      next: (event) => {
        if (isAnchor(event)) return;
        if (event.type === GAP_EVENT_TYPE) {
          subscriber.next(GAP_FRAME);
          return;
        }
        const entry = decoder.decode(event);
        if (entry !== null && visible(entry.update)) subscriber.next(entry.frame);
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (expiresAt !== undefined) {
      // [draft-08] Subscribers: close the connection no later than the token's exp.
      const delay = Math.max(0, Math.min(expiresAt - Date.now(), 2 ** 31 - 1));
      timer = setTimeout(() => subscriber.complete(), delay);
      timer.unref?.();
    }
    return () => {
      inner.unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  });
}

/** Whether a subscriber with these selections and this right to private updates sees `update`. */
export function visibility(selections: readonly Selection[], canReadPrivate: TopicMatcher): (update: Update) => boolean {
  return (update) => {
    const selected = update.topics.some((topic) => selections.some((s) => s.matches(topic)));
    if (!selected) return false;
    return !update.private || update.topics.some((topic) => canReadPrivate(topic));
  };
}

export { Refusal };
