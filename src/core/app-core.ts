// The platform-neutral application: options, route table, stream admission and accounting,
// heartbeats, error reporting, and the graceful close every platform shares.
import type { IncomingMessage } from 'node:http';
import { SseConnection, type ConnectionHooks, type ConnectionSettings } from '../connection/connection.js';
import { HeartbeatScheduler } from '../connection/heartbeat.js';
import { resolveStreamOptions, type StreamOptions } from '../connection/options.js';
import { EventideError } from '../errors.js';
import { countRule, functionOption, numberOption, timerRule } from '../options/validate.js';
import { buildRoutes, type ControllerInput } from './bind.js';
import { resolveCors, type CorsOptions } from './cors.js';
import { checkGuards, type Guard } from './guards.js';
import { checkTrustProxy, clientAddress, peerTrusted, requestOrigin, type TrustProxy } from './client-address.js';
import { dispatch, type DispatchHost } from './dispatch.js';
import type { Exchange, FinishListener } from './exchange.js';
import { LazyAbort } from './lazy-abort.js';
import { pathOf } from './path.js';
import { prepareStreamHead } from './stream-head.js';
import { toSource } from '../sources/index.js';
import { StreamRegistry, type AppStats } from './streams.js';
import { errorCode, OperationsEvents, type OperationsListener, type RejectReason } from '../operations/events.js';
import { jitterFor, resolveDrain, retryFor, staggerEnds, type DrainOptions } from '../operations/drain.js';
import { checkReadiness, healthReport, type HealthReport, type ReadinessCheck } from '../operations/health.js';

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
  /**
   * Hears structured operations events (stream opened / closed with reason and duration, refused,
   * drains, errors with their code): wire it to pino or any logger. More listeners: `app.observe()`.
   */
  onEvent?: OperationsListener;
  /**
   * Named readiness checks for `app.health()` (e.g. `{ redis: () => backend.ready() }`): a check
   * fails when it throws, rejects, returns `false` or takes over 2 s. Default: none.
   */
  readiness?: Record<string, ReadinessCheck>;
}

/** A view of one open stream, for metrics and diagnostics. */
export interface OpenStream {
  /** The route pattern it was opened on. */
  readonly route: string;
  readonly eventsWritten: number;
  readonly bytesWritten: number;
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
  /** True from the start of a drain. */
  readonly draining: boolean;
  /**
   * Refuses new streams (503) and ends open ones spread over `withinMs`, each with a jittered
   * `retry:`; resolves once every stream has ended (or `withinMs` plus `closeGraceMs` passed).
   * The platform closes afterwards.
   */
  drain(options?: DrainOptions): Promise<void>;
  /** Liveness and readiness. */
  health(): Promise<HealthReport>;
  /** Adds an operations listener; returns the function that removes it. */
  observe(listener: OperationsListener): () => void;
  /** The streams open now. */
  openStreams(): IterableIterator<OpenStream>;
  /** Every exchange whose response is not finished yet (in-flight requests and open streams). */
  inFlight(): IterableIterator<Exchange>;
  /** The routes of the controllers (`HEAD` is implied by `GET`), for platforms that register routes. */
  readonly routes: readonly { method: string; pattern: string }[];
  /** True when a route answers `method` on the path of `target` (the platform calls its fallback otherwise). */
  handles(method: string, target: string): boolean;
  /**
   * Opens a stream on `exchange` for a value a handler outside the route table returned (a NestJS
   * controller): admission, stream headers, connection. Throws, before anything is written, the
   * 503 of a limit or the error of a value that is no stream source.
   */
  openStream(exchange: Exchange, value: unknown, options?: StreamOptions): void;
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
  const onEvent = functionOption<OperationsListener>(where, 'onEvent', options.onEvent);
  const readiness = checkReadiness(where, options.readiness);
  // Stream options are checked and merged here and per route, once, not per connection.
  const appStream = resolveStreamOptions(where, options);
  const table = buildRoutes(options.controllers, appStream, checkGuards(where, options.guards));
  const cors = resolveCors(where, options.cors);
  const registry = new StreamRegistry(maxStreams, maxPerAddress);
  const heartbeats = new HeartbeatScheduler();
  /** Every exchange whose response is not finished yet: in-flight requests and open streams. */
  const live = new Set<Exchange>();
  let onIdle: (() => void) | undefined;
  let closing = false;
  let draining = false;
  let onDrained: (() => void) | undefined;

  const tellOnError = (err: unknown, req?: IncomingMessage) => {
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
  // A listener that throws is told to onError, never turned into another event.
  const events = new OperationsEvents((err) => tellOnError(err));
  if (onEvent) events.add(onEvent);
  const report = (err: unknown, req?: IncomingMessage, route?: string) => {
    if (events.active) events.emit({ type: 'error', code: errorCode(err), ...(route === undefined ? {} : { route }), error: err });
    tellOnError(err, req);
  };
  const nativeRequest = (exchange: Exchange) => exchange.nativeRequest as IncomingMessage | undefined;

  // One set of hooks for every stream of the app: a stream finds its exchange through `owner`.
  const hooks: ConnectionHooks = {
    heartbeats,
    onClose: (closed, reason) => {
      registry.closed(closed, reason);
      if (events.active) {
        events.emit({
          type: 'stream.closed',
          route: closed.route,
          reason,
          durationMs: performance.now() - closed.openedAt,
          events: closed.eventsWritten,
          bytes: closed.bytesWritten,
        });
      }
      if (registry.open.size === 0) onDrained?.();
    },
    onError: (err, connection) => report(err, nativeRequest(connection.owner as Exchange), connection.route),
  };
  // A stream's settings are its route's options with the hooks: one object per route, not per stream.
  const settings = new WeakMap<Required<StreamOptions>, ConnectionSettings>();
  const settingsFor = (streamOptions: Required<StreamOptions>) => {
    let found = settings.get(streamOptions);
    if (found === undefined) settings.set(streamOptions, (found = { ...streamOptions, ...hooks }));
    return found;
  };

  const addressOf = (exchange: Exchange) => clientAddress(exchange.remoteAddress, exchange.headers, trust);
  /**
   * Reserves a stream slot. The client's address is read only when the per-address limit or an
   * operations event needs it: Node keeps a record of a socket's peer once it is asked for it.
   */
  const slotAddress = (exchange: Exchange) => (registry.limitsAddresses ? addressOf(exchange) : undefined);
  const reserve = (exchange: Exchange, route = '') => {
    const address = slotAddress(exchange);
    const slot = registry.reserve(address);
    if (slot instanceof EventideError && events.active) {
      const reason: RejectReason = closing ? 'closing' : draining ? 'draining' : 'limit';
      events.emit({ type: 'stream.rejected', route, address: address ?? addressOf(exchange), reason });
    }
    return slot;
  };

  const host: DispatchHost = {
    table,
    bodyLimit,
    cors,
    addressOf,
    originOf: (exchange) => requestOrigin(exchange.headers, exchange.encrypted, peerTrusted(exchange.remoteAddress, trust)),
    reserve,
    report: (err, exchange) => report(err, nativeRequest(exchange)),
    startStream(exchange, source, streamOptions, slot, route = '') {
      const connection = new SseConnection(exchange.openSink(), settingsFor(streamOptions));
      connection.route = route;
      connection.openedAt = Math.round(performance.now());
      registry.opened(connection, slot);
      if (events.active) events.emit({ type: 'stream.opened', route, address: slot.address ?? addressOf(exchange) });
      if (closing) connection.end('server');
      else if (draining) connection.endWithRetry(retryFor(lateDrainEnds++, drainRetryMs, drainJitterMs));
      else connection.start(source);
      if (closing || draining) source.stop();
    },
  };

  const finished = (exchange: Exchange) => {
    live.delete(exchange);
    if (live.size === 0) onIdle?.();
  };

  // A route's stream options (an @EventideSse's) are merged with the app's once, not per request.
  const mergedOptions = new WeakMap<StreamOptions, Required<StreamOptions>>();
  // One listener for every exchange of the app: a held stream carries no closure for it.
  const finishListener: FinishListener = { exchangeFinished: finished };
  const track = (exchange: Exchange) => {
    live.add(exchange);
    exchange.onFinished(finishListener);
  };

  let closed: Promise<void> | undefined;
  let drained: Promise<void> | undefined;
  let drainRetryMs = 1000;
  let drainJitterMs = 0;
  // Streams that open while draining end at once; their retries continue the drain's spread.
  let lateDrainEnds = 0;
  return {
    routes: table.list().map((route) => ({ method: route.method, pattern: route.pattern })),
    handles(method, target) {
      const pathname = pathOf(target);
      if (pathname === undefined) return false;
      const upper = method.toUpperCase();
      const { match, allowed } = table.match(upper, pathname);
      // With the cors option, preflights of eventide's paths are eventide's to answer.
      return match !== undefined || (cors !== undefined && upper === 'OPTIONS' && allowed.length > 0);
    },
    openStream(exchange, value, streamOptions) {
      let resolved = appStream;
      if (streamOptions) {
        resolved = mergedOptions.get(streamOptions) ?? resolveStreamOptions(where, appStream, streamOptions);
        mergedOptions.set(streamOptions, resolved);
      }
      const slot = registry.reserve(slotAddress(exchange));
      if (slot instanceof EventideError) throw slot;
      let source;
      try {
        source = toSource(value);
      } catch (err) {
        slot.release();
        throw err;
      }
      track(exchange);
      if (cors) {
        const origin = exchange.headers.origin;
        for (const [name, header] of Object.entries(cors.responseHeaders(Array.isArray(origin) ? origin[0] : origin))) {
          if (!exchange.hasHeader(name)) exchange.setHeader(name, header);
        }
      }
      const abort = exchange instanceof LazyAbort ? exchange : new LazyAbort();
      exchange.onAbort(abort);
      prepareStreamHead(exchange);
      host.startStream(exchange, source, resolved, slot);
    },
    stats: registry.stats,
    get closing() {
      return closing;
    },
    get draining() {
      return draining;
    },
    report: (err, req) => report(err, req),
    observe: (listener) => events.add(listener),
    openStreams: () => registry.open.keys(),
    inFlight: () => live.values(),
    health: () => healthReport({ draining, closing }, readiness),
    drain(drainOptions) {
      const settings = resolveDrain('drain()', drainOptions);
      drained ??= (async () => {
        draining = true;
        drainRetryMs = settings.retryMs;
        registry.stopAdmitting();
        const started = performance.now();
        const streams = [...registry.open.keys()];
        drainJitterMs = jitterFor(settings, streams.length);
        lateDrainEnds = streams.length;
        if (events.active) events.emit({ type: 'drain.started', streams: streams.length, withinMs: settings.withinMs });
        const endRest = staggerEnds(streams, settings);
        if (registry.open.size > 0) {
          let grace: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            onDrained = resolve;
            grace = setTimeout(resolve, settings.withinMs + closeGraceMs);
          });
          clearTimeout(grace);
          onDrained = undefined;
        }
        endRest();
        if (events.active) {
          events.emit({ type: 'drain.finished', durationMs: performance.now() - started, streamsLeft: registry.open.size });
        }
      })();
      return drained;
    },
    dispatch(exchange) {
      track(exchange);
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
        for (const connection of [...registry.open.keys()]) connection.destroy('server');
        for (const exchange of [...live]) exchange.destroy();
        cutRest?.();
      })();
      return closed;
    },
  };
}
