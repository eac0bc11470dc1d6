// Finding and checking the token of a request: the Authorization header, then a query parameter
// (`authorization` in draft-07, `access_token` in draft-08), then a cookie.
import type { IncomingHttpHeaders } from 'node:http';
import { grantOf, InvalidClaims, type Grant, type GrantRules } from './grants.js';
import { invalidToken, missingToken, type Refusal } from './refusal.js';
import type { TokenVerifier } from './tokens.js';

/** Where a request's token was found. */
export type TokenSource = 'header' | 'query' | 'cookie';

/** A token found in a request. */
export interface FoundToken {
  readonly token: string;
  readonly source: TokenSource;
}

const MAX_TOKEN_LENGTH = 16 * 1024;

/** Reads one cookie of a Cookie header (the first of that name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/**
 * Picks the request's token by the drafts' precedence. Returns `undefined` when there is none;
 * a present but unusable one (an Authorization header that is not `Bearer`) is a refusal.
 */
export function findToken(headers: IncomingHttpHeaders, query: URLSearchParams, cookieNames: readonly string[]): FoundToken | Refusal | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
    if (!match) return invalidToken();
    return { token: match[1]!, source: 'header' };
  }
  for (const name of ['access_token', 'authorization']) {
    const value = query.get(name);
    if (value !== null) return { token: value, source: 'query' };
  }
  const cookieHeader = Array.isArray(headers.cookie) ? headers.cookie.join('; ') : headers.cookie;
  for (const name of cookieNames) {
    const value = readCookie(cookieHeader, name);
    if (value !== undefined) return { token: value, source: 'cookie' };
  }
  return undefined;
}

/**
 * Verifies a found token and reads its rights. Rejects with a {@link Refusal} (401
 * invalid_token) when verification or the claims fail; the reason goes to `onInvalid` only.
 */
export async function authorize(
  found: FoundToken,
  verify: TokenVerifier,
  rules: GrantRules,
  onInvalid: (reason: unknown) => void,
): Promise<Grant> {
  if (found.token.length === 0 || found.token.length > MAX_TOKEN_LENGTH) throw invalidToken();
  let verified;
  try {
    verified = await verify(found.token);
  } catch (err) {
    onInvalid(err);
    throw invalidToken();
  }
  try {
    return grantOf(verified, rules);
  } catch (err) {
    if (!(err instanceof InvalidClaims)) throw err;
    onInvalid(err);
    throw invalidToken();
  }
}

export { missingToken };
