// Listening and the bound address, shared by the node:http and node:http2 apps.
import type { AddressInfo, Server } from 'node:net';
import { EventideError } from '../../errors.js';

/** The server's bound address, once listening. */
export function boundAddress(server: Pick<Server, 'address'>): AddressInfo | undefined {
  const address = server.address();
  return address && typeof address === 'object' ? address : undefined;
}

/** `scheme://host:port` of a bound address; throws until listen() has resolved. */
export function urlOf(address: AddressInfo | undefined, scheme: 'http' | 'https'): string {
  if (!address) throw new EventideError('EVENTIDE_INVALID_OPTION', 'app.url is known once listen() has resolved');
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${hostPart}:${address.port}`;
}

/** Starts listening; resolves with the bound address, rejects with a listen error (a port in use). */
export function listenOn(server: Pick<Server, 'listen' | 'once' | 'off' | 'address'>, port: number, hostname: string | undefined, onListening?: () => void): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, hostname, () => {
      server.off('error', onError);
      onListening?.();
      resolve(boundAddress(server)!);
    });
  });
}
