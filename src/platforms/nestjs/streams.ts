// EventideStreams: the provider that owns eventide's connections in a Nest app (limits, heartbeats,
// graceful close), and serves eventide controllers given to the module.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { StreamOptions } from '../../connection/options.js';
import { createCore, type AppCore, type AppStats, type CoreOptions } from '../../core/app-core.js';
import type { ControllerInput } from '../../core/bind.js';
import { EventideError } from '../../errors.js';
import { Hub } from '../../hub/hub.js';
import type { HubBackend } from '../../hub/backend.js';
import type { HubOptions } from '../../hub/types.js';
import { isFastifyReply, MiddlewareExchange, NestExchange } from './exchange.js';

/** Options of `EventideModule.forRoot()`. */
export interface EventideModuleOptions extends Omit<CoreOptions, 'controllers' | 'bodyLimit'> {
  /** The Hub to provide; the module then leaves closing it to you. Default: one the module makes (and closes). */
  hub?: Hub;
  /** The backend of the Hub the module makes (e.g. `redisBackend(...)` from `eventide/redis`). Default: memory. */
  backend?: HubBackend;
  /** Other options of the Hub the module makes (`history`, `onError`). */
  hubOptions?: Omit<HubOptions, 'backend'>;
  /**
   * eventide controllers (`@Controller` / `@Sse` from `eventide`) to serve beside Nest's, as
   * middleware ahead of Nest's router. Nest controllers stream with `@EventideSse` instead.
   */
  controllers?: readonly ControllerInput[];
}

/** The token of the options given to `forRoot()`. */
export const EVENTIDE_OPTIONS = Symbol('eventide:options');

/** Node's req, whichever adapter: Fastify's request carries it as `raw`. */
function rawRequest(req: unknown): IncomingMessage {
  const raw = (req as { raw?: IncomingMessage }).raw;
  return raw && typeof raw === 'object' ? raw : (req as IncomingMessage);
}

/** eventide's streams in a Nest app: injectable, closed with the app. */
export class EventideStreams {
  readonly hub: Hub;
  readonly #core: AppCore;
  readonly #ownsHub: boolean;

  constructor(options: EventideModuleOptions, hub: Hub) {
    this.#core = createCore({ ...options, controllers: options.controllers ?? [] }, 'EventideModule.forRoot');
    this.hub = hub;
    this.#ownsHub = options.hub === undefined;
  }

  /** Live counters of the streams. */
  get stats(): Readonly<AppStats> {
    return this.#core.stats;
  }

  /** True when eventide controllers were given to the module. */
  get servesControllers(): boolean {
    return this.#core.routes.length > 0;
  }

  /**
   * Streams `value` (what a handler returned: an Observable, a hub subscription, an async
   * iterable, a ReadableStream) on the request's response. Resolves once the stream is open (or the
   * response closed first); rejects, with nothing written, when it cannot open (a limit's 503, a
   * value that is no stream, a source failing in its first turn), for Nest's exception filters.
   */
  open(req: unknown, res: unknown, value: unknown, options?: StreamOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const reply = isFastifyReply(res) ? res : undefined;
      const raw = reply ? reply.raw : (res as ServerResponse);
      const exchange = new NestExchange(rawRequest(req), raw, reply, { opened: resolve, failed: reject, closed: resolve });
      try {
        this.#core.openStream(exchange, value, options);
      } catch (err) {
        if (err instanceof EventideError && err.status === 503 && !raw.headersSent) raw.setHeader('Retry-After', '5');
        reject(err);
      }
    });
  }

  /** Connect-style middleware serving the eventide controllers given to the module; `next()` for the rest. */
  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const seen = req as IncomingMessage & { body?: unknown; originalUrl?: string };
    const target = seen.originalUrl ?? req.url ?? '/';
    if (!this.#core.handles(req.method ?? 'GET', target)) {
      next();
      return;
    }
    const parsedBody = seen.body !== undefined && req.readableEnded ? { value: seen.body } : undefined;
    void this.#core.dispatch(new MiddlewareExchange(req, res, target, parsedBody));
  };

  /** Nest calls it on `app.close()` before the HTTP server closes: streams end, so it can. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.#core.close();
  }

  /** Then the Hub the module made is closed. */
  async onApplicationShutdown(): Promise<void> {
    if (this.#ownsHub) await this.hub.close();
  }
}
Inject(EVENTIDE_OPTIONS)(EventideStreams, undefined, 0);
Inject(Hub)(EventideStreams, undefined, 1);
Injectable()(EventideStreams);

/** Throws the error of a module that is missing. */
export function missingModule(): never {
  throw new EventideError('EVENTIDE_INVALID_OPTION', '@EventideSse needs EventideModule.forRoot() among the imports of your root module');
}
