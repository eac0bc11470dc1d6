// Verifying JWS tokens with `jose`: HMAC secrets, PEM public keys or certificates, JWK Sets.
import {
  createRemoteJWKSet,
  importJWK,
  importSPKI,
  importX509,
  jwtVerify,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  type CryptoKey,
  type KeyObject,
} from 'jose';
import { EventideError } from '../index.js';

/**
 * Where the keys that sign a role's tokens come from. Give `key` (with `alg`), or `jwksUrl`, or
 * both (a token is then tried against the static key first).
 */
export interface MercureKeyOptions {
  /**
   * The verification key: the shared secret for `HS256`/`HS384`/`HS512`; a PEM public key
   * (`-----BEGIN PUBLIC KEY-----`), a PEM certificate, or a JWK as JSON for the others.
   */
  key?: string | Uint8Array;
  /** The one algorithm tokens verified with `key` must use (default `HS256`). */
  alg?: string;
  /** A JWK Set URL; keys are picked by `kid`, fetched and cached by `jose`. */
  jwksUrl?: string;
  /** Algorithms accepted with keys of `jwksUrl` (default `RS256`, `ES256`, `EdDSA`, `PS256`). */
  jwksAlgorithms?: readonly string[];
}

/** A verified token: its protected header and claims. */
export interface VerifiedToken {
  readonly header: JWTHeaderParameters;
  readonly claims: JWTPayload;
}

/** Checks a compact JWS; rejects (with any error) when it is not valid for the configured keys. */
export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

const HMAC = /^HS(256|384|512)$/;
const SUPPORTED = /^(HS|RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

function invalidOption(message: string): EventideError {
  return new EventideError('EVENTIDE_INVALID_OPTION', message);
}

async function importKey(key: string | Uint8Array, alg: string): Promise<Uint8Array | CryptoKey | KeyObject> {
  if (HMAC.test(alg)) return typeof key === 'string' ? new TextEncoder().encode(key) : key;
  const text = typeof key === 'string' ? key.trim() : new TextDecoder().decode(key).trim();
  if (text.startsWith('-----BEGIN CERTIFICATE')) return importX509(text, alg);
  if (text.startsWith('-----BEGIN PUBLIC KEY')) return importSPKI(text, alg);
  if (text.startsWith('{')) return importJWK(JSON.parse(text), alg) as Promise<CryptoKey | Uint8Array>;
  throw invalidOption(`a ${alg} key must be a PEM public key, a PEM certificate or a JWK (JSON); got something else`);
}

/**
 * Builds the verifier of one role (publisher or subscriber). Throws `EVENTIDE_INVALID_OPTION` at
 * once for an unusable configuration; a key that does not import fails every verification and
 * is reported by the first one.
 */
export function createTokenVerifier(options: MercureKeyOptions, role: string): TokenVerifier {
  const { key, jwksUrl } = options;
  const alg = options.alg ?? 'HS256';
  if (key === undefined && jwksUrl === undefined) throw invalidOption(`the ${role} key: give \`key\` or \`jwksUrl\``);
  if (!SUPPORTED.test(alg)) throw invalidOption(`the ${role} key: algorithm ${JSON.stringify(alg)} is not supported (HS256/384/512, RS*, PS*, ES*, EdDSA)`);
  if (key !== undefined && (typeof key === 'string' ? key.length : key.byteLength) === 0) throw invalidOption(`the ${role} key is empty`);
  if (key !== undefined && HMAC.test(alg) && typeof key === 'string' && key.startsWith('-----BEGIN')) {
    // Refuse the classic confusion: a public key used as an HMAC secret.
    throw invalidOption(`the ${role} key looks like a PEM key but the algorithm is ${alg}; set alg to RS256 (or the key's algorithm)`);
  }
  let jwks: JWTVerifyGetKey | undefined;
  if (jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw invalidOption(`the ${role} jwksUrl is not a URL: ${jwksUrl}`);
    }
    jwks = createRemoteJWKSet(url);
  }
  const jwksAlgorithms = [...(options.jwksAlgorithms ?? ['RS256', 'ES256', 'EdDSA', 'PS256'])];
  const staticKey = key === undefined ? undefined : importKey(key, alg);
  // An import failure surfaces on each verification (and so in tests and logs), never as an
  // unhandled rejection.
  staticKey?.catch(() => {});
  return async (token) => {
    let lastError: unknown;
    if (staticKey !== undefined) {
      try {
        const { protectedHeader, payload } = await jwtVerify(token, await staticKey, { algorithms: [alg] });
        return { header: protectedHeader, claims: payload };
      } catch (err) {
        lastError = err;
      }
    }
    if (jwks !== undefined) {
      const { protectedHeader, payload } = await jwtVerify(token, jwks, { algorithms: jwksAlgorithms });
      return { header: protectedHeader, claims: payload };
    }
    throw lastError;
  };
}
