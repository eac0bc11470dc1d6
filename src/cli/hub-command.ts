// `eventide hub`: a Mercure hub as a process.
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApp } from '../server/create-app.js';
import { Hub } from '../hub/index.js';
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
  let address: AddressInfo;
  let closeServer: () => Promise<void>;
  if (config.tls) {
    const server = createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, app.handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    address = server.address() as AddressInfo;
    closeServer = async () => {
      await Promise.all([
        app.close().catch(() => {}),
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
      ]);
    };
  } else {
    address = await app.listen(config.port, config.host);
    closeServer = () => app.close();
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host}:${address.port}`,
    close: async () => {
      await closeServer();
      await hub.close();
    },
  };
}
