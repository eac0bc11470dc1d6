// createApp: the embedded node:http server, with stream tracking, limits and graceful close.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseConnection, type CloseReason } from '../connection/connection.js';
import { HeartbeatScheduler } from '../connection/heartbeat.js';
import { resolveStreamOptions, type StreamOptions } from '../connection/options.js';
import { EventideError } from '../errors.js';
import { buildRoutes, handleRequest, type ControllerInput, type StreamHost } from '../router/router.js';

/** Options of {@link createApp}. Every limit has a default; stream options can be overridden per route. */
export interface AppOptions extends StreamOptions {
  /** Controller classes (constructed without arguments) or instances (to pass services in). */
  controllers: readonly ControllerInput[];
  /** Most open streams in all; further ones get 503 with Retry-After. Default: no limit (0). */
  maxStreams?: number;
  /** Most open streams per client address; further ones get 503 with Retry-After. Default: no limit (0). */
  maxStreamsPerAddress?: number;
  /** Most bytes of a request body (413 past it). Default 1 MiB. */
  bodyLimit?: number;
  /** Milliseconds `close()` lets streams drain before it cuts the remaining sockets. Default 2000. */
  closeGraceMs?: number;
  /**
   * Hears of server-side errors (handler failures, invalid events). Default: `console.error`.
   * Clients never see the messages of such errors.
   */
  onError?: (err: unknown, req?: IncomingMessage) => void;
}

/** Counters of an app's streams. */
export interface AppStats {
  /** Streams open now. */
  openStreams: number;
  /** Streams opened since start. */
  totalStreams: number;
  /** Streams closed because the client did not read fast enough (the slow-client policy). */
  slowClientsClosed: number;
  /** Streams refused with 503 because a limit was reached. */
  rejectedStreams: number;
}

/** A running (or ready to run) eventide application. */
export interface App {
  /** Starts listening; `port` 0 (the default) picks a free port. Resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting, ends every open stream cleanly, and resolves once the server is closed. */
  close(): Promise<void>;
  /** A node:http request listener, for mounting eventide in a server of your own. */
  readonly handler: RequestListener;
  /** The node:http server `listen()` uses. */
  readonly server: Server;
  /** The bound address, once listening. */
  readonly address: AddressInfo | undefined;
  /** `http://host:port` of the bound address, once listening. */
  readonly url: string;
  /** Live counters. */
  readonly stats: Readonly<AppStats>;
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `createApp option ${name} must be a non-negative number, got ${String(value)}`);
  }
  return value;
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
export function createApp(options: AppOptions): App {
  if (!options || !Array.isArray(options.controllers)) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', 'createApp({ controllers }) needs an array of controller classes or instances');
  }
  const maxStreams = checkLimit('maxStreams', options.maxStreams, 0);
  const maxPerAddress = checkLimit('maxStreamsPerAddress', options.maxStreamsPerAddress, 0);
  const bodyLimit = checkLimit('bodyLimit', options.bodyLimit, 1024 * 1024);
  const closeGraceMs = checkLimit('closeGraceMs', options.closeGraceMs, 2000);
  const report = options.onError ?? ((err: unknown) => console.error('[eventide]', err));
  // Stream options are checked and merged here and per route, once, not per connection.
  const appStreamOptions = resolveStreamOptions('createApp', options);

  const table = buildRoutes(options.controllers, appStreamOptions);
  const heartbeats = new HeartbeatScheduler();
  const open = new Set<SseConnection>();
  const perAddress = new Map<string, number>();
  const stats: AppStats = { openStreams: 0, totalStreams: 0, slowClientsClosed: 0, rejectedStreams: 0 };
  let closing = false;

  const addressOf = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';

  const onClose = (connection: SseConnection, reason: CloseReason) => {
    if (!open.delete(connection)) return;
    stats.openStreams = open.size;
    if (reason === 'slow-client') stats.slowClientsClosed++;
    const address = addressOf(connection.req);
    const count = (perAddress.get(address) ?? 1) - 1;
    if (count <= 0) perAddress.delete(address);
    else perAddress.set(address, count);
  };

  const host: StreamHost = {
    bodyLimit,
    admit(req) {
      let refusal: string | undefined;
      if (closing) refusal = 'the server is shutting down';
      else if (maxStreams > 0 && open.size >= maxStreams) refusal = `the server holds its maximum of ${maxStreams} streams`;
      else if (maxPerAddress > 0 && (perAddress.get(addressOf(req)) ?? 0) >= maxPerAddress) {
        refusal = `this client address holds its maximum of ${maxPerAddress} streams`;
      }
      if (!refusal) return undefined;
      stats.rejectedStreams++;
      return new EventideError('EVENTIDE_TOO_MANY_STREAMS', `${refusal}; retry later`, { status: 503, expose: true });
    },
    open(req, res, abort, streamOptions) {
      const connection = new SseConnection(req, res, abort, streamOptions, {
        heartbeats,
        onClose,
        onError: (err) => report(err, req),
      });
      open.add(connection);
      stats.openStreams = open.size;
      stats.totalStreams++;
      const address = addressOf(req);
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      return connection;
    },
    onError: report,
  };

  const handler: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    void handleRequest(table, host, req, res);
  };

  const server = createServer({ noDelay: true }, handler);
  let closed: Promise<void> | undefined;

  const app: App = {
    handler,
    server,
    stats,
    get address() {
      const address = server.address();
      return address && typeof address === 'object' ? address : undefined;
    },
    get url() {
      const address = app.address;
      if (!address) throw new EventideError('EVENTIDE_INVALID_OPTION', 'app.url is known once listen() has resolved');
      const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${hostPart}:${address.port}`;
    },
    listen(port = 0, hostname?: string) {
      return new Promise<AddressInfo>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen(port, hostname, () => {
          server.off('error', onError);
          resolve(app.address!);
        });
      });
    },
    close() {
      closed ??= (async () => {
        closing = true;
        const serverClosed = server.listening
          ? new Promise<void>((resolve) => server.close(() => resolve()))
          : Promise.resolve();
        // A stream has ended once its response finished (or its socket closed).
        const allEnded = Promise.all(
          [...open].map(
            (connection) =>
              new Promise<void>((resolve) => {
                const res = connection.res;
                if (res.writableFinished || res.destroyed) return resolve();
                res.once('finish', resolve);
                res.once('close', resolve);
              }),
          ),
        ).then(() => undefined);
        for (const connection of [...open]) connection.end('server');
        server.closeIdleConnections();
        let grace: ReturnType<typeof setTimeout> | undefined;
        const graceOver = new Promise<void>((resolve) => {
          grace = setTimeout(resolve, closeGraceMs);
        });
        await Promise.race([allEnded, graceOver]);
        // Streams that ended still hold keep-alive sockets, and clients that do not read hold theirs.
        server.closeAllConnections();
        clearTimeout(grace);
        await serverClosed;
      })();
      return closed;
    },
  };
  return app;
}
