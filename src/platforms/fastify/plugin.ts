// eventide as a Fastify 5 plugin: each controller route is registered on Fastify, so its hooks
// (onRequest auth, @fastify/cors, @fastify/rate-limit) run first; the request then reaches the
// route core on Node's req/res, with Fastify's parsed body, and a stream is written by eventide's
// connection on the hijacked reply.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { createCore, type AppStats, type CoreOptions } from '../../core/app-core.js';
import { defineOperations, type AppOperations } from '../../operations/app-operations.js';
import { closeConnectionsAfterResponses } from '../node/close-after-response.js';
import { NodeExchange } from '../node/exchange.js';

/** Options of the Fastify plugin: those of `createApp`. `bodyLimit`, when set, is also Fastify's for these routes. */
export type FastifyOptions = CoreOptions;

/**
 * A Fastify plugin serving eventide controllers, with the app's counters and operations attached
 * (`drain()` ends its streams; closing Fastify is up to you).
 */
export interface EventidePlugin extends AppOperations {
  (fastify: FastifyInstance, options: Record<string, unknown>): Promise<void>;
  /** Live counters. */
  readonly stats: Readonly<AppStats>;
}

/** A request under a prefix: eventide matches the path below it. */
class PrefixedExchange extends NodeExchange {
  readonly #target: string;

  constructor(req: IncomingMessage, res: ServerResponse, target: string, parsedBody: { value: unknown }) {
    super(req, res, parsedBody);
    this.#target = target;
  }

  override get target(): string {
    return this.#target;
  }
}

/**
 * Headers Fastify's hooks set on the reply (`reply.header()`: @fastify/cors, your onRequest hooks)
 * live on the reply until Fastify sends it; a hijacked reply never is, so they are carried over to
 * Node's response before eventide answers.
 */
function carryHeaders(reply: FastifyReply): void {
  const raw = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined && !raw.hasHeader(name)) raw.setHeader(name, value as string | number | string[]);
  }
  if (reply.statusCode !== 200 && raw.statusCode === 200) raw.statusCode = reply.statusCode;
}

/**
 * Creates a Fastify plugin serving eventide controllers. Each route is registered on Fastify, so
 * hooks and plugins of the instance it is registered on (onRequest auth, @fastify/cors,
 * @fastify/rate-limit) run before a stream opens. `fastify.close()` ends open streams cleanly
 * (cutting, after `closeGraceMs`, clients that do not read). Registered with a `prefix`, routes are
 * relative to it. Bodies are Fastify's (its `bodyLimit`); content types Fastify does not parse
 * reach the handler as bytes.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(cors, { origin: 'https://app.example' });
 * await app.register(eventide({ controllers: [NewsController] }));
 * await app.listen({ port: 3000 });
 * ```
 */
export function eventide(options: FastifyOptions): EventidePlugin {
  const core = createCore(options, 'eventide');
  const plugin = (async (fastify: FastifyInstance) => {
    const prefix = fastify.prefix;
    // Encapsulated: this parser only applies to eventide's routes.
    fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_req: FastifyRequest, body: Buffer, done: (err: null, body: Buffer) => void) => {
      done(null, body);
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      carryHeaders(reply);
      reply.hijack();
      // While draining, answers say `Connection: close`: the next request goes to a live process.
      if (core.draining) reply.raw.shouldKeepAlive = false;
      const rawUrl = request.raw.url ?? '/';
      const target = prefix && rawUrl.startsWith(prefix) ? rawUrl.slice(prefix.length) || '/' : rawUrl;
      const body = { value: request.body };
      await core.dispatch(target === rawUrl ? new NodeExchange(request.raw, reply.raw, body) : new PrefixedExchange(request.raw, reply.raw, target, body));
    };
    const routes = [...core.routes];
    if (options.cors !== undefined) {
      // eventide's cors option answers preflights of its paths: they need an OPTIONS route.
      const withOptions = new Set(routes.filter((r) => r.method === 'OPTIONS').map((r) => r.pattern));
      for (const pattern of new Set(routes.map((r) => r.pattern))) {
        if (!withOptions.has(pattern)) routes.push({ method: 'OPTIONS', pattern });
      }
    }
    for (const route of routes) {
      fastify.route({
        method: route.method as HTTPMethods,
        url: route.pattern,
        handler,
        ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
      });
    }
    // Before the server stops accepting: streams end, so their connections can close.
    fastify.addHook('preClose', async () => {
      await core.close();
    });
  }) as unknown as EventidePlugin;
  Object.defineProperty(plugin, 'stats', { value: core.stats, enumerable: true });
  return defineOperations(plugin, core, () => core.close(), () => closeConnectionsAfterResponses(core));
}
