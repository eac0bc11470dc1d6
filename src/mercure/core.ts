// The hub's request handling, independent of routing: subscribe, publish, preflight and the
// subscriptions API, each given the request context of an eventide route.
import { randomUUID } from 'node:crypto';
import { Observable } from 'rxjs';
import { httpError, isEventideError, type Hub, type MessageEvent, type RequestContext } from '../index.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { ANONYMOUS, type Grant, type GrantRules } from './grants.js';
import type { ResolvedMercureOptions } from './options.js';
import { formOf, updateFromForm } from './publish.js';
import { insufficientScope, invalidToken, missingToken, Refusal } from './refusal.js';
import { authorize, findToken } from './request-auth.js';
import { MATCH_TYPES, SelectorCache, type MatchType } from './selectors.js';
import { PositionIndex } from './positions.js';
import { selectionsOf, startPoint, UpdateDecoder, updateStream, visibility, type Selection } from './subscribe.js';
import { ClusterSubscriptions } from './cluster-subscriptions.js';
import { describe, MERCURE_CONTEXT, SUBSCRIPTIONS_PATH, SubscriptionRegistry, type SubscriptionDirectory, type SubscriptionFilter, type SubscriptionInfo } from './subscriptions.js';
import type { TokenVerifier } from './tokens.js';
import { fromStored, toStored, type Update } from './update.js';

const HUB_PATH = '/.well-known/mercure';
const HOST = /^[A-Za-z0-9.\-]+(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/;
const HEADER_SAFE = /^[\t\x20-\x7e]*$/;
const STATUS_TEXT: Record<Refusal['status'], string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Content Too Large',
  503: 'Service Unavailable',
};

/** The keys of each role; `undefined` when the role has none configured. */
export interface Verifiers {
  readonly publisher: TokenVerifier | undefined;
  readonly subscriber: TokenVerifier | undefined;
}

export class MercureCore {
  readonly selectors = new SelectorCache();
  readonly registry: SubscriptionDirectory;
  /** Requests whose subscription path segments were escaped once more by `wrapHandler`. */
  readonly escapedRequests = new WeakSet<object>();
  readonly #index: PositionIndex;
  readonly #decoder: UpdateDecoder;

  constructor(
    readonly hub: Hub,
    readonly options: ResolvedMercureOptions,
    readonly verifiers: Verifiers,
  ) {
    this.#index = new PositionIndex(Math.max(1000, hub.history.maxEvents));
    const shared = options.subscriptions ? options.subscriptionsRedis : undefined;
    this.registry = shared === undefined ? new SubscriptionRegistry() : new ClusterSubscriptions(shared, options.channel, options.onError);
    this.#decoder = new UpdateDecoder(this.#index);
  }

  /** The hub's URL for a request: the configured public URL, or the request's origin. */
  hubUrl(ctx: Pick<RequestContext, 'headers' | 'req'>): string {
    if (this.options.publicUrl !== undefined) return this.options.publicUrl;
    const host = ctx.headers.host;
    const secure = (ctx.req.socket as { encrypted?: boolean }).encrypted === true;
    return `${secure ? 'https' : 'http'}://${host !== undefined && HOST.test(host) ? host : 'localhost'}${HUB_PATH}`;
  }

  /** Where the hub's protected resource metadata is (RFC 9728: the well-known path, then the hub's path). */
  metadataUrl(ctx: Pick<RequestContext, 'headers' | 'req'>): string {
    const hub = new URL(this.hubUrl(ctx));
    return `${hub.origin}/.well-known/oauth-protected-resource${hub.pathname}`;
  }

  /**
   * `GET /.well-known/oauth-protected-resource/.well-known/mercure`: the hub's protected resource
   * metadata ([draft-08] Protected Resource Metadata, RFC 9728).
   */
  metadata(ctx: RequestContext): string {
    this.#common(ctx);
    ctx.setHeader('Content-Type', 'application/json');
    const { audience, issuers, jwksUri, cookieNames } = this.options;
    return JSON.stringify({
      // The value access tokens must carry in `aud`: the configured audience, else the hub's URL.
      resource: audience?.[0] ?? this.hubUrl(ctx),
      ...(issuers !== undefined ? { authorization_servers: issuers } : {}),
      ...(jwksUri !== undefined ? { jwks_uri: jwksUri } : {}),
      bearer_methods_supported: ['header', 'query'],
      mercure_cookie: cookieNames.length > 0,
      mercure_version: 8,
    });
  }

  /** The discovery `Link` header value. */
  link(ctx: Pick<RequestContext, 'headers' | 'req'>): string {
    return `<${this.hubUrl(ctx)}>; rel="mercure"`;
  }

  #rules(ctx: RequestContext): GrantRules {
    return {
      selectors: this.selectors,
      base: this.hubUrl(ctx),
      audience: this.options.audience,
      issuers: this.options.issuers,
      accessTokensOnly: this.options.accessTokensOnly,
      maxMatchers: this.options.maxTopics,
    };
  }

  #common(ctx: RequestContext): void {
    for (const [name, value] of Object.entries(corsHeaders(this.options.corsOrigins, ctx.headers))) ctx.setHeader(name, value);
    ctx.setHeader('Link', this.link(ctx));
  }

  async #grant(ctx: RequestContext, verify: TokenVerifier | undefined, required: string | undefined): Promise<{ grant: Grant; source?: string }> {
    const found = findToken(ctx.headers, ctx.url.searchParams, this.options.cookieNames);
    if (found instanceof Refusal) throw found;
    if (found === undefined) {
      if (required !== undefined) throw missingToken(required, this.metadataUrl(ctx));
      return { grant: ANONYMOUS };
    }
    // No key to check it with: the token cannot be valid here.
    if (verify === undefined) throw invalidToken();
    return { grant: await authorize(found, verify, this.#rules(ctx), () => {}), source: found.source };
  }

  /** `GET /.well-known/mercure`: the update stream of a subscriber. */
  async subscribe(ctx: RequestContext): Promise<Observable<MessageEvent<string>>> {
    try {
      this.#common(ctx);
      const query = ctx.url.searchParams;
      const selections = selectionsOf(query, this.selectors, this.options, this.hubUrl(ctx));
      const { grant } = await this.#grant(ctx, this.verifiers.subscriber, this.options.anonymous ? undefined : 'subscribing');
      const header = ctx.headers['last-event-id'];
      const lastEventId = (Array.isArray(header) ? header[0] : header) ?? query.get('lastEventID') ?? query.get('lastEventId') ?? undefined;
      const start = await startPoint(this.hub, this.options.channel, lastEventId, this.#index);
      if (start.responseLastEventId !== undefined && HEADER_SAFE.test(start.responseLastEventId)) {
        ctx.setHeader('Last-Event-ID', start.responseLastEventId);
      }
      // The stream may carry private updates: no shared cache may keep it.
      ctx.setHeader('Cache-Control', 'private, no-cache, no-transform');
      const stream = updateStream(this.#decoder, this.hub, this.options.channel, start, visibility(selections, grant.subscribe), grant.expiresAt);
      return this.options.subscriptions ? this.#tracked(stream, selections, grant) : stream;
    } catch (err) {
      // An SSE route answers errors through the router (a JSON body; see the README).
      if (err instanceof Refusal) throw httpError(err.status, err.message);
      throw err;
    }
  }

  #tracked(stream: Observable<MessageEvent<string>>, selections: readonly Selection[], grant: Grant): Observable<MessageEvent<string>> {
    return new Observable((subscriber) => {
      const id = `urn:uuid:${randomUUID()}`;
      const infos = selections.map((s) => describe(s, id, true, grant.payloadFor(s.selector)));
      for (const info of infos) {
        this.registry.add(info);
        this.#announce(info);
      }
      const inner = stream.subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        for (const info of infos) {
          this.registry.delete(info);
          this.#announce({ ...info, active: false });
        }
      };
    });
  }

  #announce(info: SubscriptionInfo): void {
    const update: Update = {
      id: `urn:uuid:${randomUUID()}`,
      topics: [info.id],
      data: JSON.stringify({ '@context': MERCURE_CONTEXT, ...info }),
      private: true,
    };
    this.publishUpdate(update).catch((err: unknown) => {
      // Streams ending because the hub is closing have no one left to tell.
      if (isEventideError(err, 'EVENTIDE_CLOSED')) return;
      try {
        this.options.onError(err);
      } catch {
        // A throwing onError must not turn into an unhandled rejection.
      }
    });
  }

  /** Stores an update on the hub's channel; resolves with its Mercure id. */
  async publishUpdate(update: Update): Promise<string> {
    const position = await this.hub.publish(this.options.channel, { data: toStored(update) });
    this.#index.set(update.id, position);
    return update.id;
  }

  /** `POST /.well-known/mercure`: answers the update's id as text/plain. */
  async publish(ctx: RequestContext): Promise<unknown> {
    try {
      this.#common(ctx);
      const { grant, source } = await this.#grant(ctx, this.verifiers.publisher, 'publishing');
      if (source === 'cookie') {
        // A cookie is sent by the browser on its own: only listed origins may use it to publish.
        const origin = ctx.headers.origin;
        if (origin === undefined || !this.options.publishOrigins.includes(origin)) {
          throw insufficientScope('publishing with the cookie is allowed from the configured publish origins only');
        }
      }
      const update = updateFromForm(formOf(ctx.body, ctx.headers['content-type']), this.options, this.hubUrl(ctx));
      const refused = update.topics.find((topic) => !grant.publish(topic));
      if (refused !== undefined) throw insufficientScope(`the token does not allow publishing to ${JSON.stringify(refused)}`);
      return await this.publishUpdate(update);
    } catch (err) {
      return this.#refuse(ctx, err);
    }
  }

  #refuse(ctx: RequestContext, err: unknown): unknown {
    if (!(err instanceof Refusal)) throw err;
    ctx.status(err.status);
    for (const [name, value] of Object.entries(err.headers)) ctx.setHeader(name, value);
    return { statusCode: err.status, error: STATUS_TEXT[err.status], message: err.message };
  }

  /** `OPTIONS`: the CORS preflight. */
  preflight(ctx: RequestContext): void {
    for (const [name, value] of Object.entries(preflightHeaders(this.options.corsOrigins, ctx.headers))) ctx.setHeader(name, value);
    ctx.setHeader('Allow', 'GET, POST, OPTIONS');
  }

  /**
   * `GET /.well-known/mercure/subscriptions[/...]`: the active subscriptions of this process, for a
   * subscriber whose token allows the requested path as a topic.
   */
  async subscriptions(ctx: RequestContext, parts: readonly string[]): Promise<unknown> {
    try {
      this.#common(ctx);
      if (!this.options.subscriptions) throw new Refusal(404, 'the subscriptions API is off on this hub (enable `subscriptions`)');
      const { grant } = await this.#grant(ctx, this.verifiers.subscriber, 'the subscriptions API');
      if (this.escapedRequests.has(ctx.req)) {
        try {
          parts = parts.map((part) => decodeURIComponent(part));
        } catch {
          throw new Refusal(400, 'a subscriptions path segment is not valid percent-encoding');
        }
      }
      const path = [SUBSCRIPTIONS_PATH, ...parts.map(encodeURIComponent)].join('/');
      if (!grant.subscribe(path)) throw insufficientScope(`the token does not allow reading ${path}`);
      const filter = parseSubscriptionPath(parts);
      const lastEventID = await this.#lastUpdateId();
      ctx.setHeader('Content-Type', 'application/ld+json');
      const list = await this.registry.list(filter);
      if (filter.subscriber !== undefined) {
        if (list.length === 0) throw new Refusal(404, 'no such active subscription');
        return JSON.stringify({ '@context': MERCURE_CONTEXT, ...list[0], lastEventID });
      }
      return JSON.stringify({ '@context': MERCURE_CONTEXT, id: path, type: 'Subscriptions', lastEventID, subscriptions: list });
    } catch (err) {
      ctx.setHeader('Content-Type', 'application/json; charset=utf-8');
      return this.#refuse(ctx, err);
    }
  }

  async #lastUpdateId(): Promise<string> {
    const { events } = await this.hub.backend.readAfter(this.options.channel, this.hub.backend.zeroId);
    const last = events.at(-1);
    if (last === undefined) return 'earliest';
    try {
      return fromStored(JSON.parse(last.data))?.id ?? 'earliest';
    } catch {
      return 'earliest';
    }
  }
}

/** Reads `{topic}/{subscriber}` (draft-07) or `{matchType}/{match}/{subscriber}` (draft-08). */
function parseSubscriptionPath(parts: readonly string[]): SubscriptionFilter {
  const typed = MATCH_TYPES.includes(parts[0] as MatchType);
  if (typed) return { matchType: parts[0], selector: parts[1], subscriber: parts[2] };
  if (parts.length > 2) throw new Refusal(404, 'no such subscriptions resource');
  return { selector: parts[0], subscriber: parts[1] };
}
