// The platform-neutral application: options, route table, stream admission and accounting,
// heartbeats, error reporting, and the graceful close every platform shares.
import type { IncomingMessage } from 'node:http';
import { SseConnection } from '../connection/connection.js';
import { HeartbeatScheduler } from '../connection/heartbeat.js';
import { resolveStreamOptions, type StreamOptions } from '../connection/options.js';
import { EventideError } from '../errors.js';
import { countRule, functionOption, numberOption, timerRule } from '../options/validate.js';
import { buildRoutes, type ControllerInput } from './bind.js';
import { resolveCors, type CorsOptions } from './cors.js';
import { checkGuards, type Guard } from './guards.js';
import { checkTrustProxy, clientAddress, peerTrusted, requestOrigin, type TrustProxy } from './client-address.js';
import { dispatch, type DispatchHost } from './dispatch.js';
import type { Exchange } from './exchange.js';
import { StreamRegistry, type AppStats } from './streams.js';

/** Options every platform shares. Stream options can be overridden per route in `@Sse`. */
export interface CoreOptions extends StreamOptions {
  /** Controller classes (constructed without arguments) or instances (to pass services in). */
  controllers: readonly ControllerInput[];
  /** Most open streams in all; further ones get 503 with Retry-After. Default: no limit (0). */
  maxStreams?: number;
  /** Most open streams per client address; further ones get 503 with Retry-After. Default: no limit (0). */
  maxStreamsPerAddress?: number;
  /** Most bytes of a request body (413 past it). Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Milliseconds `close()` lets in-flight requests finish and ending streams flush before it cuts
   * what is left. Default 2000.
   */
  closeGraceMs?: number;
  /**
   * Which `X-Forwarded-For` / `-Proto` / `-Host` to believe for `ctx.ip`, `ctx.url` and
   * `maxStreamsPerAddress`. Default `false`: none (the peer is the client). See {@link TrustProxy}.
   */
  trustProxy?: TrustProxy;
  /**
   * Checks run before every route's handler, before the app's controllers' and routes' own
   * (`@UseGuards`). A refusal is an HTTP error (403 for `false`, or the status of a thrown
   * `httpError`); no stream opens and no stream slot is held. See {@link Guard}.
   */
  guards?: readonly Guard[];
  /** Answers CORS preflights and sets Access-Control-* headers on every response. See {@link CorsOptions}. */
  cors?: CorsOptions | true;
  /**
   * Hears of server-side errors (handler failures, invalid events, broken streams). Default:
   * `console.error`. Clients never see the messages of such errors. If it throws, the throw is
   * written to stderr and nothing else is affected.
   */
  onError?: (err: unknown, req?: IncomingMessage) => void;
}

export type { AppStats } from './streams.js';

/** The app without a server: what each platform adapts to its HTTP stack. Internal. */
export interface AppCore {
  readonly stats: Readonly<AppStats>;
  readonly closing: boolean;
  /** Serves one exchange; never throws. */
  dispatch(exchange: Exchange): Promise<void>;
  /**
   * Stops admitting streams, ends open streams cleanly, waits up to `closeGraceMs` for in-flight
   * requests and streams to finish, then cuts what is left (`cutRest` lets the platform cut idle
   * keep-alive sockets too).
   */
  close(cutRest?: () => void): Promise<void>;
  /** Reports an error through `onError`, guarded. */
  report(err: unknown, req?: IncomingMessage): void;
}

export function createCore(options: CoreOptions, where = 'createApp'): AppCore {
  if (!options || typeof options !== 'object' || !Array.isArray(options.controllers)) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `${where}({ controllers }) needs an array of controller classes or instances`);
  }
  const maxStreams = numberOption(where, 'maxStreams', options.maxStreams, countRule(0));
  const maxPerAddress = numberOption(where, 'maxStreamsPerAddress', options.maxStreamsPerAddress, countRule(0));
  const bodyLimit = numberOption(where, 'bodyLimit', options.bodyLimit, countRule(1024 * 1024));
  const closeGraceMs = numberOption(where, 'closeGraceMs', options.closeGraceMs, timerRule(2000));
  const trust = checkTrustProxy(options.trustProxy);
  const onError = functionOption<(err: unknown, req?: IncomingMessage) => void>(where, 'onError', options.onError, (err) =>
    console.error('[eventide]', err),
  );
  // Stream options are checked and merged here and per route, once, not per connection.
  const table = buildRoutes(options.controllers, resolveStreamOptions(where, options), checkGuards(where, options.guards));
  const cors = resolveCors(where, options.cors);
  const registry = new StreamRegistry(maxStreams, maxPerAddress);
  const heartbeats = new HeartbeatScheduler();
  /** Every exchange whose response is not finished yet: in-flight requests and open streams. */
  const live = new Set<Exchange>();
  const liveStreams = new Map<Exchange, SseConnection>();
  let onIdle: (() => void) | undefined;
  let closing = false;

  const report = (err: unknown, req?: IncomingMessage) => {
    try {
      onError(err, req);
    } catch (thrown) {
      try {
        console.error('[eventide] the onError callback threw while reporting an error; both follow', thrown, err);
      } catch {
        // stderr itself is gone; nothing left to tell
      }
    }
  };
  const nativeRequest = (exchange: Exchange) => exchange.nativeRequest as IncomingMessage | undefined;

  const host: DispatchHost = {
    table,
    bodyLimit,
    cors,
    addressOf: (exchange) => clientAddress(exchange.remoteAddress, exchange.headers, trust),
    originOf: (exchange) => requestOrigin(exchange.headers, exchange.encrypted, peerTrusted(exchange.remoteAddress, trust)),
    reserve: (address) => registry.reserve(address),
    report: (err, exchange) => report(err, nativeRequest(exchange)),
    startStream(exchange, source, abort, streamOptions, slot) {
      const sink = exchange.openSink();
      const connection = new SseConnection(sink, abort, streamOptions, {
        heartbeats,
        onClose: (closed, reason) => registry.closed(closed, reason),
        onError: (err) => report(err, nativeRequest(exchange)),
      });
      registry.opened(connection, slot);
      liveStreams.set(exchange, connection);
      if (closing) connection.end('server');
      else connection.start(source);
      if (closing) source.stop();
    },
  };

  const finished = (exchange: Exchange) => {
    live.delete(exchange);
    liveStreams.delete(exchange);
    if (live.size === 0) onIdle?.();
  };

  let closed: Promise<void> | undefined;
  return {
    stats: registry.stats,
    get closing() {
      return closing;
    },
    report,
    dispatch(exchange) {
      live.add(exchange);
      exchange.onFinished(() => finished(exchange));
      return dispatch(host, exchange);
    },
    close(cutRest) {
      closed ??= (async () => {
        closing = true;
        registry.stopAdmitting();
        for (const connection of [...registry.open.keys()]) connection.end('server');
        if (live.size > 0) {
          let grace: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            onIdle = resolve;
            grace = setTimeout(resolve, closeGraceMs);
          });
          clearTimeout(grace);
          onIdle = undefined;
        }
        // Past the grace period: clients that do not read, and handlers that never answered.
        for (const [exchange, connection] of [...liveStreams]) {
          connection.destroy('server');
          exchange.destroy();
        }
        for (const exchange of [...live]) exchange.destroy();
        cutRest?.();
      })();
      return closed;
    },
  };
}
