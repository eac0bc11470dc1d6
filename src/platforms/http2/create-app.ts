// createApp({ http2 }): the route core served by node:http2, TLS (with HTTP/1.1 beside it) or h2c.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createSecureServer,
  createServer,
  Http2ServerRequest,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createCore, type CoreOptions } from '../../core/app-core.js';
import type { App } from '../node/create-app.js';
import { NodeExchange } from '../node/exchange.js';
import { boundAddress, listenOn, urlOf } from '../node/listening.js';
import { Http2Exchange } from './exchange.js';
import type { ResolvedHttp2 } from './options.js';
import { fetchHandlerOf } from '../web/serve.js';

/** The request listener of an HTTP/2 app: HTTP/2 requests, and HTTP/1.1 ones when allowed. */
export type Http2Handler = (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) => void;

/** An app served by node:http2 (`createApp({ http2 })`). */
export type Http2App = App<Http2SecureServer | Http2Server, Http2Handler>;

export function createHttp2App(options: CoreOptions, http2: ResolvedHttp2): Http2App {
  const core = createCore(options, 'createApp');
  const handler: Http2Handler = (req, res) => {
    const exchange =
      req instanceof Http2ServerRequest
        ? new Http2Exchange(req, res as Http2ServerResponse)
        : new NodeExchange(req as IncomingMessage, res as ServerResponse);
    void core.dispatch(exchange);
  };
  const server: Http2SecureServer | Http2Server = http2.cleartext
    ? createServer(handler)
    : createSecureServer({ key: http2.key, cert: http2.cert, passphrase: http2.passphrase, allowHTTP1: http2.allowHTTP1 }, handler);
  const sessions = new Set<ServerHttp2Session>();
  const sockets = new Set<Socket>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A session error (a client that broke the protocol) ends that session only.
    session.on('error', () => undefined);
  });
  server.on(http2.cleartext ? 'connection' : 'secureConnection', (socket: Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // TLS handshakes that fail (a client refusing the certificate) are the client's business.
  server.on('tlsClientError', () => undefined);
  let closed: Promise<void> | undefined;
  let drained: Promise<void> | undefined;

  const app: Http2App = {
    handler,
    fetch: fetchHandlerOf(core),
    server,
    stats: core.stats,
    get draining() {
      return core.draining;
    },
    drain(drainOptions) {
      // Streams end staggered by the core; the sessions get GOAWAY at close(), after the last one.
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
      return urlOf(app.address, http2.cleartext ? 'http' : 'https');
    },
    listen(port = 0, hostname?: string) {
      return listenOn(server, port, hostname);
    },
    close() {
      closed ??= (async () => {
        const serverClosed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
        // GOAWAY on every session: no new streams; a session closes by itself once its open
        // streams have ended (cleanly, or cut by the core after the grace period).
        for (const session of sessions) session.close();
        const cutHttp1 = () => {
          // HTTP/1.1 sockets (allowHTTP1) idle in keep-alive; HTTP/2 sockets belong to their sessions.
          for (const socket of sockets) if (!http2.cleartext && (socket as TLSSocket).alpnProtocol !== 'h2') socket.destroy();
        };
        await core.close(cutHttp1);
        // A session or socket still open now has nothing left to deliver: the server must not hang on it.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const settled = await Promise.race([
          serverClosed.then(() => true),
          new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 1000))),
        ]);
        clearTimeout(timer);
        if (!settled) {
          for (const session of sessions) session.destroy();
          for (const socket of sockets) socket.destroy();
          await serverClosed;
        }
      })();
      return closed;
    },
  };
  return app;
}
