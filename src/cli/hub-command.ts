// `eventide hub`: a Mercure hub as a process.
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApp, Hub } from '../index.js';
import { createMercureHub } from '../mercure/index.js';
import type { HubConfig } from './config.js';

/** A running hub process: its URL and how to stop it. */
export interface RunningHub {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the hub described by `config`. */
export async function startHub(config: HubConfig): Promise<RunningHub> {
  const history = { maxEvents: config.historySize, maxAgeMs: config.historyMaxAgeMs };
  let backend;
  if (config.redisUrl !== undefined) {
    const { redisBackend } = await import('../redis/index.js');
    backend = redisBackend({ url: config.redisUrl, ...(config.redisPrefix ? { keyPrefix: config.redisPrefix } : {}) });
  }
  const hub = new Hub({ history, ...(backend ? { backend } : {}) });
  const mercure = createMercureHub({ ...config.mercure, hub });
  const app = createApp({
    controllers: [mercure.controller],
    heartbeatMs: config.heartbeatMs,
    bodyLimit: config.bodyLimit,
    maxStreams: config.maxStreams,
    maxStreamsPerAddress: config.maxStreamsPerAddress,
  });
  // Served through the hub's wrapper, so that subscription resources of any topic are reachable.
  const listener = mercure.wrapHandler(app.handler);
  let address: AddressInfo;
  let closeServer: () => Promise<void>;
  if (config.tls) {
    const server = createHttpsServer({ cert: config.tls.cert, key: config.tls.key, noDelay: true }, listener);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    address = server.address() as AddressInfo;
    closeServer = async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The app ends its streams cleanly; then the remaining sockets go.
      await app.close();
      server.closeAllConnections();
      await closed;
    };
  } else {
    // The app's own server (Nagle off, sockets tracked for close), answering through the wrapper.
    app.server.removeAllListeners('request');
    app.server.on('request', listener);
    address = await app.listen(config.port, config.host);
    closeServer = () => app.close();
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host}:${address.port}`,
    close: async () => {
      await closeServer();
      await mercure.close();
      await hub.close();
    },
  };
}
