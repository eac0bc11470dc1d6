// createMercureHub: a Mercure hub over an eventide Hub, as a controller to mount in an app.
import type { RequestListener } from 'node:http';
import { EventideError, Hub, type RequestContext } from '../index.js';
import { mercureController } from './controller.js';
import { MercureCore } from './core.js';
import { resolveOptions, type MercureHubOptions } from './options.js';
import { updateFromForm } from './publish.js';
import { createTokenVerifier } from './tokens.js';

const SUBSCRIPTIONS_PREFIX = '/.well-known/mercure/subscriptions/';

/** An update published from the server side (the same fields as the HTTP publish form). */
export interface MercureUpdateInput {
  /** One topic or several (draft-07); draft-08 publishers send exactly one. */
  topics: string | readonly string[];
  /** The new version of the topic (default: empty). */
  data?: string;
  /** Deliver only to subscribers whose token allows one of the topics. */
  private?: boolean;
  /** The update id (default: a `urn:uuid:`). */
  id?: string;
  /** The SSE `event` type. */
  type?: string;
  /** The SSE `retry` time in milliseconds. */
  retry?: number;
}

/** A Mercure hub: mount `controller` in `createApp`, beside your own controllers. */
export interface MercureHub {
  /** The controller instance serving `/.well-known/mercure` (and its subscriptions API). */
  readonly controller: object;
  /** The Hub updates travel through. */
  readonly hub: Hub;
  /** The hub channel carrying the updates. */
  readonly channel: string;
  /** Active subscriptions in this process (counted when `subscriptions` is on). */
  readonly activeSubscriptions: number;
  /**
   * Publishes an update without HTTP (no token needed: the server is trusted). Resolves with its
   * id. Rejects with `EVENTIDE_INVALID_EVENT` for an invalid update.
   */
  publish(update: MercureUpdateInput): Promise<string>;
  /**
   * Wraps an app's request listener (`app.handler`) so that subscription resources whose topic
   * holds a `/` (percent-encoded, as in `/.well-known/mercure/subscriptions/https%3A%2F%2F...`)
   * reach the subscriptions API: the router refuses path parameters that decode to a `/`.
   * `eventide hub` serves through it; without it, only topics free of `/` can be looked up.
   */
  wrapHandler(listener: RequestListener): RequestListener;
  /** The discovery `Link` header value for a request (`<hub URL>; rel="mercure"`). */
  discoveryLink(ctx: Pick<RequestContext, 'headers' | 'req'>): string;
  /** Closes the shared subscription list, and the Hub if this hub created it; a Hub you passed in stays yours to close. */
  close(): Promise<void>;
}

/**
 * Creates a Mercure hub. Publishing over HTTP needs `publisherJwt`; subscribers need a token
 * unless `anonymous` is set.
 *
 * @example
 * ```ts
 * import { createApp } from 'eventide';
 * import { createMercureHub } from 'eventide/mercure';
 * const mercure = createMercureHub({ publisherJwt: { key: process.env.MERCURE_KEY! }, anonymous: true });
 * const app = createApp({ controllers: [mercure.controller, MyController] });
 * await app.listen(3000);
 * ```
 */
export function createMercureHub(options: MercureHubOptions = {}): MercureHub {
  const resolved = resolveOptions(options);
  const ownHub = options.hub === undefined;
  const hub = options.hub ?? new Hub({ history: { maxEvents: 10_000, maxAgeMs: 3_600_000 } });
  const publisher = options.publisherJwt === undefined ? undefined : createTokenVerifier(options.publisherJwt, 'publisher');
  const subscriberKeys = options.subscriberJwt ?? options.publisherJwt;
  const subscriber =
    options.subscriberJwt === undefined ? publisher : subscriberKeys === undefined ? undefined : createTokenVerifier(subscriberKeys, 'subscriber');
  const core = new MercureCore(hub, resolved, { publisher, subscriber });
  const controller = mercureController(core);
  return {
    controller,
    hub,
    channel: resolved.channel,
    get activeSubscriptions() {
      return core.registry.size;
    },
    async publish(input) {
      const form = new URLSearchParams();
      for (const topic of typeof input.topics === 'string' ? [input.topics] : input.topics) form.append('topic', topic);
      if (input.data !== undefined) form.set('data', input.data);
      if (input.private) form.set('private', 'on');
      if (input.id !== undefined) form.set('id', input.id);
      if (input.type !== undefined) form.set('type', input.type);
      if (input.retry !== undefined) form.set('retry', String(input.retry));
      let update;
      try {
        update = updateFromForm(form, resolved, resolved.publicUrl ?? 'http://localhost/.well-known/mercure');
      } catch (err) {
        throw new EventideError('EVENTIDE_INVALID_EVENT', `invalid Mercure update: ${(err as Error).message}`);
      }
      return core.publishUpdate(update);
    },
    wrapHandler: (listener) => (req, res) => {
      const url = req.url;
      if (url !== undefined && url.startsWith(SUBSCRIPTIONS_PREFIX)) {
        const q = url.indexOf('?');
        const path = q === -1 ? url : url.slice(0, q);
        // One more level of escaping, taken off again by the subscriptions API.
        req.url = SUBSCRIPTIONS_PREFIX + path.slice(SUBSCRIPTIONS_PREFIX.length).replaceAll('%', '%25') + (q === -1 ? '' : url.slice(q));
        core.escapedRequests.add(req);
      }
      listener(req, res);
    },
    discoveryLink: (ctx) => core.link(ctx),
    close: async () => {
      await core.registry.close();
      if (ownHub) await hub.close();
    },
  };
}
