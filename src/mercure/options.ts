// The options of a Mercure hub, their defaults and their checks.
import { EventideError, type Hub } from '../index.js';
import type { MercureKeyOptions } from './tokens.js';

/** Where the subscriptions API of a cluster finds every process's subscriptions (see `subscriptionsRedis`). */
export interface ClusterSubscriptionsOptions {
  /** Redis URL (default `redis://127.0.0.1:6379`). Needs ioredis installed. */
  url?: string;
  /** Prefix of its keys (default `eventide:`). The processes of one cluster must agree. */
  keyPrefix?: string;
  /** How long a process's entries outlive its last heartbeat, in ms (default 30,000; at least 1,000). */
  ttlMs?: number;
}

/** Options of {@link createMercureHub}. Each says which draft it follows. */
export interface MercureHubOptions {
  /**
   * The Hub updates travel through (share it with your own routes, or give it a Redis backend
   * for a cluster). Default: a new in-memory Hub, closed by `close()`.
   */
  hub?: Hub;
  /** The hub channel carrying every update (default `mercure`). All processes of a cluster must agree. */
  channel?: string;
  /** Keys of publishers' tokens (both drafts). Without it, nobody can publish over HTTP. */
  publisherJwt?: MercureKeyOptions;
  /** Keys of subscribers' tokens (both drafts). Default: `publisherJwt`. */
  subscriberJwt?: MercureKeyOptions;
  /** Let subscribers without a token in; they receive public updates only (both drafts). Default `false`. */
  anonymous?: boolean;
  /** Origins allowed by CORS; `*` for any origin without credentials (both drafts). Default: none. */
  corsOrigins?: readonly string[];
  /**
   * Origins that may publish with the cookie (a CSRF guard, draft-07 practice). Default:
   * `corsOrigins` without `*`. Requests authorized by header or query are not checked.
   */
  publishOrigins?: readonly string[];
  /** Cookie names read for a token, in order (default `mercureAuthorization` of draft-07, then `mercureAccessToken` of draft-08). */
  cookieNames?: readonly string[];
  /** Publish subscription events and serve the subscriptions API (both drafts). Default `false`. */
  subscriptions?: boolean;
  /**
   * With `subscriptions`: keep the list the subscriptions API serves in Redis, so that every hub
   * process on it lists the subscriptions of all (a cluster). A process that dies without closing
   * drops out after `ttlMs`. Default: each process lists its own.
   */
  subscriptionsRedis?: ClusterSubscriptionsOptions;
  /** draft-08: the hub's resource identifier, required in the `aud` of `at+jwt` tokens. */
  audience?: string | readonly string[];
  /** draft-08: accepted `iss` of `at+jwt` tokens. Default: not checked. */
  issuers?: readonly string[];
  /** draft-08 only: refuse tokens whose `typ` is not `at+jwt` (this turns draft-07 tokens away). Default `false`. */
  accessTokensOnly?: boolean;
  /**
   * The hub's public URL (e.g. `https://example.com/.well-known/mercure`): the target of `Link`
   * headers and the base of relative URL patterns. Default: from each request's Host.
   */
  publicUrl?: string;
  /** Most selectors per subscription and topics per update (default 100). */
  maxTopics?: number;
  /** Longest topic or selector, in characters (default 2048). */
  maxTopicLength?: number;
  /** Longest update id, in characters (default 512). */
  maxIdLength?: number;
  /** Hears of failures no request can be told of (a subscription event that could not be published). Default: `process.emitWarning`. */
  onError?: (error: unknown) => void;
}

/** The options once checked and defaulted. */
export interface ResolvedMercureOptions {
  readonly channel: string;
  readonly anonymous: boolean;
  readonly corsOrigins: readonly string[];
  readonly publishOrigins: readonly string[];
  readonly cookieNames: readonly string[];
  readonly subscriptions: boolean;
  readonly subscriptionsRedis: ClusterSubscriptionsOptions | undefined;
  /** The JWK Set URL of subscribers' (else publishers') keys, for the protected resource metadata. */
  readonly jwksUri: string | undefined;
  readonly audience: readonly string[] | undefined;
  readonly issuers: readonly string[] | undefined;
  readonly accessTokensOnly: boolean;
  readonly publicUrl: string | undefined;
  readonly maxTopics: number;
  readonly maxTopicLength: number;
  readonly maxIdLength: number;
  readonly onError: (error: unknown) => void;
}

function invalid(message: string): EventideError {
  return new EventideError('EVENTIDE_INVALID_OPTION', `createMercureHub: ${message}`);
}

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw invalid(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function strings(name: string, value: readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) throw invalid(`${name} must be an array of non-empty strings`);
  return Object.freeze([...value]);
}

function clusterOptions(value: ClusterSubscriptionsOptions | undefined): ClusterSubscriptionsOptions | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw invalid('subscriptionsRedis must be an object { url, keyPrefix, ttlMs }');
  if (value.url !== undefined && typeof value.url !== 'string') throw invalid('subscriptionsRedis.url must be a string');
  if (value.keyPrefix !== undefined && typeof value.keyPrefix !== 'string') throw invalid('subscriptionsRedis.keyPrefix must be a string');
  if (value.ttlMs !== undefined && (!Number.isSafeInteger(value.ttlMs) || value.ttlMs < 1000)) {
    throw invalid(`subscriptionsRedis.ttlMs must be an integer >= 1000, got ${String(value.ttlMs)}`);
  }
  return { ...value };
}

/** Checks and defaults the options (throws `EVENTIDE_INVALID_OPTION`). */
export function resolveOptions(options: MercureHubOptions): ResolvedMercureOptions {
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  const channel = options.channel ?? 'mercure';
  if (typeof channel !== 'string' || channel.length === 0) throw invalid('channel must be a non-empty string');
  const corsOrigins = strings('corsOrigins', options.corsOrigins) ?? [];
  const publishOrigins = strings('publishOrigins', options.publishOrigins) ?? corsOrigins.filter((o) => o !== '*');
  const cookieNames = strings('cookieNames', options.cookieNames) ?? ['mercureAuthorization', 'mercureAccessToken'];
  const audience = typeof options.audience === 'string' ? [options.audience] : strings('audience', options.audience);
  let publicUrl: string | undefined;
  if (options.publicUrl !== undefined) {
    try {
      publicUrl = new URL(options.publicUrl).href;
    } catch {
      throw invalid(`publicUrl is not an absolute URL: ${options.publicUrl}`);
    }
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') throw invalid('onError must be a function');
  return {
    channel,
    anonymous: options.anonymous === true,
    corsOrigins,
    publishOrigins,
    cookieNames,
    subscriptions: options.subscriptions === true,
    subscriptionsRedis: clusterOptions(options.subscriptionsRedis),
    jwksUri: options.subscriberJwt?.jwksUrl ?? options.publisherJwt?.jwksUrl,
    audience,
    issuers: strings('issuers', options.issuers),
    accessTokensOnly: options.accessTokensOnly === true,
    publicUrl,
    maxTopics: count('maxTopics', options.maxTopics, 100),
    maxTopicLength: count('maxTopicLength', options.maxTopicLength, 2048),
    maxIdLength: count('maxIdLength', options.maxIdLength, 512),
    onError:
      options.onError ??
      ((error: unknown) => process.emitWarning(`eventide mercure: ${error instanceof Error ? error.message : String(error)}`, { code: 'EVENTIDE_MERCURE' })),
  };
}
