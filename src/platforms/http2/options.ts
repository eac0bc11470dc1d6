// The `http2` option of createApp, checked once.
import { EventideError } from '../../errors.js';
import { booleanOption } from '../../options/validate.js';

/**
 * Serve over HTTP/2 (node:http2). With `key` and `cert`: TLS, what browsers need for HTTP/2, and
 * HTTP/1.1 too for clients without it (`allowHTTP1`, default true). With `cleartext: true`: h2c
 * with prior knowledge (no TLS), for tests and for proxies that speak h2c to the app; browsers do
 * not use it.
 */
export interface Http2Options {
  /** The TLS private key (PEM). */
  key?: string | Buffer;
  /** The TLS certificate chain (PEM). */
  cert?: string | Buffer;
  /** Passphrase of an encrypted `key`. */
  passphrase?: string;
  /** Also answer HTTP/1.1 clients over TLS (negotiated by ALPN). Default true. */
  allowHTTP1?: boolean;
  /** h2c: HTTP/2 without TLS (prior knowledge). Default false. Excludes `key` / `cert`. */
  cleartext?: boolean;
}

export interface ResolvedHttp2 {
  cleartext: boolean;
  allowHTTP1: boolean;
  key?: string | Buffer;
  cert?: string | Buffer;
  passphrase?: string;
}

function invalid(message: string): EventideError {
  return new EventideError('EVENTIDE_INVALID_OPTION', `createApp option \`http2\`: ${message}`);
}

const pem = (value: unknown) => typeof value === 'string' || Buffer.isBuffer(value);

export function resolveHttp2(value: unknown): ResolvedHttp2 | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof value !== 'object' || value === null) throw invalid('expected { key, cert } (TLS) or { cleartext: true } (h2c)');
  const options = value as Http2Options;
  const cleartext = booleanOption('createApp http2', 'cleartext', options.cleartext, false);
  const allowHTTP1 = booleanOption('createApp http2', 'allowHTTP1', options.allowHTTP1, true);
  if (cleartext) {
    if (options.key !== undefined || options.cert !== undefined) throw invalid('`cleartext: true` serves without TLS; drop `key` and `cert`, or drop `cleartext`');
    return { cleartext, allowHTTP1: false };
  }
  if (!pem(options.key) || !pem(options.cert)) {
    throw invalid('TLS needs `key` and `cert` (PEM strings or Buffers); for HTTP/2 without TLS pass { cleartext: true }');
  }
  if (options.passphrase !== undefined && typeof options.passphrase !== 'string') throw invalid('`passphrase` must be a string');
  return { cleartext, allowHTTP1, key: options.key, cert: options.cert, passphrase: options.passphrase };
}
