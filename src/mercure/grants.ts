// What a verified token allows: publish and subscribe matchers, a subscription payload, a
// subject and an expiry. Read from draft-07's `mercure` claim and from draft-08's
// `authorization_details` (in `at+jwt` access tokens); a token may carry both.
import { compileMatcher, isCleanTopic, MATCH_TYPES, type MatchType, type SelectorCache, type TopicMatcher } from './selectors.js';
import type { VerifiedToken } from './tokens.js';

/** The rights of a request. */
export interface Grant {
  /** Topics it may publish to. */
  readonly publish: TopicMatcher;
  /** Topics whose private updates it may receive. */
  readonly subscribe: TopicMatcher;
  /** The payload shown in subscription events and the subscriptions API for `selector`. */
  payloadFor(selector: string): unknown;
  /** The `sub` claim, if any. */
  readonly subject: string | undefined;
  /** The `exp` claim in milliseconds since the epoch, if any. */
  readonly expiresAt: number | undefined;
}

const NONE: TopicMatcher = () => false;

/** The rights of a request without a token: public updates only. */
export const ANONYMOUS: Grant = {
  publish: NONE,
  subscribe: NONE,
  payloadFor: () => undefined,
  subject: undefined,
  expiresAt: undefined,
};

/** How grants are read. */
export interface GrantRules {
  readonly selectors: SelectorCache;
  /** The hub's URL: the base of relative URL patterns. */
  readonly base: string;
  /** The resource identifier `at+jwt` tokens must name in `aud` (none: `aud` not checked). */
  readonly audience: readonly string[] | undefined;
  /** Accepted `iss` of `at+jwt` tokens (none: not checked). */
  readonly issuers: readonly string[] | undefined;
  /** Refuse tokens that are not `at+jwt` (draft-08 only). */
  readonly accessTokensOnly: boolean;
  /** Most matchers a token may carry. */
  readonly maxMatchers: number;
}

/** Thrown for a token whose claims are malformed: the caller answers 401 invalid_token. */
export class InvalidClaims extends Error {}

/**
 * Reads `mercure.publish` / `mercure.subscribe`: draft-07 selector strings, and the object form
 * of later revisions (`{ match, matchType? }`, the matchers of `authorization_details`).
 */
function claimMatchers(value: unknown, what: string, rules: GrantRules): TopicMatcher[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > rules.maxMatchers) {
    throw new InvalidClaims(`${what} must be an array of at most ${rules.maxMatchers} selectors`);
  }
  return value.map((entry) => {
    if (typeof entry === 'string' && isCleanTopic(entry)) return rules.selectors.get(entry);
    if (entry !== null && typeof entry === 'object') return topicMatcher(entry, rules);
    throw new InvalidClaims(`${what} holds selector strings or { match, matchType } objects`);
  });
}

/** One `{ match, matchType? }` topic matcher object (matchType defaults to `Exact`). */
function topicMatcher(topic: object, rules: GrantRules): TopicMatcher {
  const t = topic as Record<string, unknown>;
  const type = t.matchType ?? t.match_type ?? 'Exact';
  const match = t.match;
  if (typeof match !== 'string' || !isCleanTopic(match)) throw new InvalidClaims('a topic matcher needs a string `match`');
  const canonical = normalizeType(type);
  if (canonical === undefined) throw new InvalidClaims(`unknown matchType ${JSON.stringify(type)}`);
  try {
    return compileMatcher(canonical, match, rules.base);
  } catch (err) {
    throw new InvalidClaims((err as Error).message);
  }
}

const any = (matchers: readonly TopicMatcher[]): TopicMatcher =>
  matchers.length === 0 ? NONE : matchers.length === 1 ? matchers[0]! : (topic) => matchers.some((m) => m(topic));

function isAccessToken(token: VerifiedToken): boolean {
  return typeof token.header.typ === 'string' && token.header.typ.toLowerCase().replace(/^application\//, '') === 'at+jwt';
}

function audienceOk(aud: unknown, accepted: readonly string[]): boolean {
  const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return list.some((a) => typeof a === 'string' && accepted.includes(a));
}

interface Detail {
  actions: Set<string>;
  matcher: TopicMatcher;
  payload: unknown;
}

function readDetails(value: unknown, rules: GrantRules): Detail[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidClaims('authorization_details must be an array');
  const out: Detail[] = [];
  let count = 0;
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object') throw new InvalidClaims('an authorization detail must be an object');
    const { type, actions, topics, payload } = entry as Record<string, unknown>;
    if (type !== 'mercure') continue; // Other types belong to other resource servers.
    if (!Array.isArray(actions) || actions.length === 0 || actions.some((a) => a !== 'publish' && a !== 'subscribe')) {
      throw new InvalidClaims('a mercure authorization detail needs actions among "publish" and "subscribe"');
    }
    if (!Array.isArray(topics) || topics.length === 0) throw new InvalidClaims('a mercure authorization detail needs topics');
    const matchers: TopicMatcher[] = [];
    for (const topic of topics) {
      if (++count > rules.maxMatchers) throw new InvalidClaims(`a token may carry at most ${rules.maxMatchers} topic matchers`);
      if (topic === null || typeof topic !== 'object') throw new InvalidClaims('a topic matcher must be an object');
      matchers.push(topicMatcher(topic, rules));
    }
    out.push({
      actions: new Set(actions as string[]),
      matcher: any(matchers),
      payload: payload !== null && typeof payload === 'object' ? payload : undefined,
    });
  }
  return out;
}

/** `Exact`, `URLPattern` or `URITemplate`, in the spellings the versions of draft-08 used. */
export function normalizeType(type: unknown): MatchType | undefined {
  if (typeof type !== 'string') return undefined;
  const t = type.toLowerCase();
  return MATCH_TYPES.find((name) => name.toLowerCase() === t);
}

/** Reads the rights of a verified token. Throws {@link InvalidClaims} for malformed claims. */
export function grantOf(token: VerifiedToken, rules: GrantRules): Grant {
  const { claims } = token;
  const accessToken = isAccessToken(token);
  if (rules.accessTokensOnly && !accessToken) throw new InvalidClaims('only at+jwt access tokens are accepted');
  if (accessToken) {
    // [draft-08] Token Validation: exp is required, aud must name this hub when it is configured.
    if (typeof claims.exp !== 'number') throw new InvalidClaims('an access token needs exp');
    if (rules.audience !== undefined && !audienceOk(claims.aud, rules.audience)) throw new InvalidClaims('aud does not name this hub');
    if (rules.issuers !== undefined && (typeof claims.iss !== 'string' || !rules.issuers.includes(claims.iss))) {
      throw new InvalidClaims('iss is not an accepted issuer');
    }
  }
  const mercure = claims.mercure as Record<string, unknown> | undefined;
  if (mercure !== undefined && (mercure === null || typeof mercure !== 'object')) throw new InvalidClaims('the mercure claim must be an object');
  const legacyPublish = any(claimMatchers(mercure?.publish, 'mercure.publish', rules));
  const legacySubscribe = any(claimMatchers(mercure?.subscribe, 'mercure.subscribe', rules));
  const details = accessToken ? readDetails(claims.authorization_details, rules) : [];
  const publishDetails = details.filter((d) => d.actions.has('publish'));
  const subscribeDetails = details.filter((d) => d.actions.has('subscribe'));
  const legacyPayload = mercure?.payload;
  return {
    publish: (topic) => legacyPublish(topic) || publishDetails.some((d) => d.matcher(topic)),
    subscribe: (topic) => legacySubscribe(topic) || subscribeDetails.some((d) => d.matcher(topic)),
    payloadFor: (selector) => subscribeDetails.find((d) => d.payload !== undefined && d.matcher(selector))?.payload ?? legacyPayload,
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
  };
}
