// createApp: the embedded node:http server, the default platform.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCore, type AppStats, type CoreOptions, type OpenStream } from '../../core/app-core.js';
import { EventideError } from '../../errors.js';
import { resolveDrain, type DrainOptions } from '../../operations/drain.js';
import type { OperationsListener } from '../../operations/events.js';
import type { HealthReport } from '../../operations/health.js';
import { createHttp2App, type Http2App } from '../http2/create-app.js';
import { resolveHttp2, type Http2Options } from '../http2/options.js';
import { fetchHandlerOf, type FetchHandler } from '../web/serve.js';
import { closeConnectionsAfterResponses } from './close-after-response.js';
import { NodeExchange } from './exchange.js';
import { boundAddress, listenOn, urlOf } from './listening.js';

/** What {@link AppOptions.drainOnSigterm} does on SIGTERM. */
export interface SigtermDrainOptions extends DrainOptions {
  /**
   * Called once the drain and `close()` are done (close your hub and other resources here).
   * Default: `process.exit(0)`, since listening for SIGTERM replaced Node's default exit.
   */
  onDrained?: () => unknown;
}

/** Options of {@link createApp}. Every limit has a default; stream options can be overridden per route. */
export interface AppOptions extends CoreOptions {
  /**
   * On SIGTERM (once listening), drain over `withinMs` then close: `true` for the defaults (5 s,
   * then `process.exit(0)`). Default `false`: SIGTERM is left to Node and to you.
   */
  drainOnSigterm?: boolean | SigtermDrainOptions;
  /**
   * Serve over HTTP/2 instead of HTTP/1.1: `{ key, cert }` for TLS (what browsers need; HTTP/1.1
   * clients are served too unless `allowHTTP1: false`), or `{ cleartext: true }` for h2c.
   * See {@link Http2Options}.
   */
  http2?: Http2Options;
}
export type { AppStats, OpenStream } from '../../core/app-core.js';

/** A running (or ready to run) eventide application. */
export interface App<TServer = Server, THandler = RequestListener> {
  /** Starts listening; `port` 0 (the default) picks a free port. Resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Stops accepting, lets in-flight requests finish, ends every open stream cleanly, and cuts what
   * is left after `closeGraceMs`; resolves once everything is closed. Never hangs on open streams.
   */
  close(): Promise<void>;
  /**
   * A node:http request listener, for mounting eventide in a server of your own. `close()` then
   * refuses new streams (503), ends open ones and cuts, after `closeGraceMs`, the responses it
   * served; closing your server is up to you.
   */
  readonly handler: THandler;
  /**
   * The same app as a fetch handler (`Request` in, `Response` out), for Bun.serve, Deno.serve,
   * Hono or a Node fetch adapter. Shares routes, limits, counters and `close()` with the server.
   */
  readonly fetch: FetchHandler;
  /** The server `listen()` uses: node:http's, or node:http2's with the `http2` option. */
  readonly server: TServer;
  /** The bound address, once listening. */
  readonly address: AddressInfo | undefined;
  /** `http://host:port` (`https://` for HTTP/2 with TLS) of the bound address, once listening. */
  readonly url: string;
  /** Live counters. */
  readonly stats: Readonly<AppStats>;
  /**
   * Graceful drain for deploys: new streams get 503 with Retry-After; every open stream gets a
   * jittered `retry:` and is ended at its own time, spread evenly over `withinMs` (default 5000), so
   * clients move to other processes gradually and hub subscribers resume there from their
   * Last-Event-ID; then `close()`. Resolves once closed. Calling it again returns the same promise.
   */
  drain(options?: DrainOptions): Promise<void>;
  /** True from the start of a drain. */
  readonly draining: boolean;
  /** Liveness and readiness: not ready while draining or closing, or while a readiness check fails. */
  health(): Promise<HealthReport>;
  /**
   * Adds a listener of structured operations events (streams opened / closed / refused, drains,
   * errors with code), e.g. for a logger; returns the function that removes it.
   */
  observe(listener: OperationsListener): () => void;
  /** The streams open now (route pattern and what each has written), for metrics. */
  openStreams(): IterableIterator<OpenStream>;
}

/**
 * Creates an app from controllers.
 *
 * @example
 * ```ts
 * const app = createApp({ controllers: [AppController] });
 * await app.listen(3000);
 * ```
 */
export function createApp(options: AppOptions & { http2: Http2Options }): Http2App;
export function createApp(options: AppOptions): App;
export function createApp(options: AppOptions): App | Http2App {
  const http2 = resolveHttp2(options?.http2);
  if (http2) return createHttp2App(options, http2);
  const core = createCore(options, 'createApp');
  const handler: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    // While draining, answers say `Connection: close`: the next request goes to a live process.
    if (core.draining) res.shouldKeepAlive = false;
    void core.dispatch(new NodeExchange(req, res));
  };
  // close() cuts idle keep-alive sockets and stragglers through the server's own connection list
  // (closeIdleConnections / closeAllConnections): no listener or set entry per socket.
  const server = createServer({ noDelay: true }, handler);
  let closed: Promise<void> | undefined;
  let drained: Promise<void> | undefined;
  const sigterm = sigtermOptions(options.drainOnSigterm);
  const onSigterm = () => {
    void app.drain(sigterm).then(async () => {
      try {
        await (sigterm?.onDrained ?? (() => process.exit(0)))();
      } catch (err) {
        core.report(err);
      }
    });
  };

  const app: App = {
    handler,
    fetch: fetchHandlerOf(core),
    server,
    stats: core.stats,
    get draining() {
      return core.draining;
    },
    drain(drainOptions) {
      if (!drained) {
        // A stream's response ends cleanly but its connection would stay open for the next
        // request, which would then reach this draining process (and get 503) through a load
        // balancer that routes per connection: from now on, connections close once idle.
        server.keepAliveTimeout = 1;
        server.closeIdleConnections();
        closeConnectionsAfterResponses(core);
      }
      drained ??= core.drain(drainOptions).then(() => app.close());
      return drained;
    },
    health: () => core.health(),
    observe: (listener) => core.observe(listener),
    openStreams: () => core.openStreams(),
    get address() {
      return boundAddress(server);
    },
    get url() {
      return urlOf(app.address, 'http');
    },
    listen(port = 0, hostname?: string) {
      return listenOn(server, port, hostname, () => {
        if (sigterm && !closed) process.once('SIGTERM', onSigterm);
      });
    },
    close() {
      closed ??= (async () => {
        process.off('SIGTERM', onSigterm);
        const serverClosed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
        server.closeIdleConnections();
        await core.close(() => server.closeAllConnections());
        await serverClosed;
      })();
      return closed;
    },
  };
  return app;
}

function sigtermOptions(value: AppOptions['drainOnSigterm']): SigtermDrainOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== 'object') {
    throw new EventideError('EVENTIDE_INVALID_OPTION', 'createApp option `drainOnSigterm` must be true, false, or { withinMs, retryMs, onDrained }');
  }
  if (value.onDrained !== undefined && typeof value.onDrained !== 'function') {
    throw new EventideError('EVENTIDE_INVALID_OPTION', 'createApp option `drainOnSigterm.onDrained` must be a function');
  }
  resolveDrain('createApp option `drainOnSigterm`', value);
  return value;
}
