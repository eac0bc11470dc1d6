// The client's address, protocol and host as seen through trusted reverse proxies.
import type { IncomingHttpHeaders } from 'node:http';
import { EventideError } from '../errors.js';

/**
 * Which `X-Forwarded-*` headers to believe. `false` (the default): none, the peer is the client.
 * `true`: every proxy is trusted, the client is the left-most `X-Forwarded-For` entry. A number
 * `n`: that many proxies in front of the app are trusted, the client is the n-th entry from the
 * right. A function: called with each address from the peer leftwards, trusted while it returns true.
 */
export type TrustProxy = boolean | number | ((address: string) => boolean);

export function checkTrustProxy(value: unknown): TrustProxy {
  if (value === undefined) return false;
  if (typeof value === 'boolean' || typeof value === 'function') return value as TrustProxy;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new EventideError(
    'EVENTIDE_INVALID_OPTION',
    `createApp option \`trustProxy\` must be true, false, a number of proxy hops, or a function (address) => boolean; got ${String(value)}`,
  );
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function forwardedChain(headers: IncomingHttpHeaders): string[] {
  const raw = headers['x-forwarded-for'];
  const joined = Array.isArray(raw) ? raw.join(',') : raw;
  if (!joined) return [];
  return joined.split(',').map((s) => s.trim()).filter((s) => s.length > 0 && s.length <= 64);
}

/** The client's address: the peer, or an `X-Forwarded-For` entry vouched for by trusted proxies. */
export function clientAddress(peer: string | undefined, headers: IncomingHttpHeaders, trust: TrustProxy): string {
  const direct = peer ?? 'unknown';
  if (trust === false || trust === 0) return direct;
  const chain = forwardedChain(headers);
  if (chain.length === 0) return direct;
  if (trust === true) return chain[0];
  // Walk from the peer leftwards while the hop is trusted.
  const hops = [direct, ...chain.slice().reverse()];
  if (typeof trust === 'number') return hops[Math.min(trust, hops.length - 1)];
  let i = 0;
  while (i < hops.length - 1 && trust(hops[i])) i++;
  return hops[i];
}

/** True when `trust` vouches for the peer, so its `X-Forwarded-Proto` / `-Host` count. */
export function peerTrusted(peer: string | undefined, trust: TrustProxy): boolean {
  if (trust === true) return true;
  if (trust === false || trust === 0) return false;
  if (typeof trust === 'number') return true;
  return trust(peer ?? 'unknown');
}

const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

/** The origin a relative request target resolves against: scheme and Host (validated; `localhost` if missing or malformed). */
export function requestOrigin(headers: IncomingHttpHeaders, encrypted: boolean, trusted: boolean): string {
  let proto = encrypted ? 'https' : 'http';
  let host = first(headers[':authority' as 'host']) ?? first(headers.host);
  if (trusted) {
    const fproto = first(headers['x-forwarded-proto'])?.split(',')[0].trim().toLowerCase();
    if (fproto === 'http' || fproto === 'https') proto = fproto;
    const fhost = first(headers['x-forwarded-host'])?.split(',')[0].trim();
    if (fhost) host = fhost;
  }
  return `${proto}://${host !== undefined && HOST.test(host) ? host : 'localhost'}`;
}
