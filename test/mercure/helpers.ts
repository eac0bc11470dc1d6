// Shared by the Mercure tests: tokens, a hub in this process, publishing over HTTP.
import { SignJWT, type JWTPayload } from 'jose';
import { createApp, type App } from '../../src/index.js';
import { createMercureHub, type MercureHub, type MercureHubOptions } from '../../src/mercure/index.js';

/** The HMAC key of Mercure's examples and conformance suite. */
export const SECRET = '!ChangeThisMercureHubJWTSecretKey!';
export const HUB_PATH = '/.well-known/mercure';

/** Signs claims with HS256 (or `alg` with `key`). */
export async function sign(claims: JWTPayload, options: { key?: string | Uint8Array | CryptoKey; alg?: string; typ?: string; exp?: number | string } = {}): Promise<string> {
  const key = options.key ?? SECRET;
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256', ...(options.typ ? { typ: options.typ } : {}) });
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
  return jwt.sign(typeof key === 'string' ? new TextEncoder().encode(key) : (key as Uint8Array));
}

export const publishAll = () => sign({ mercure: { publish: ['*'] } });

/** A hub mounted in an app of this process. */
export async function startHub(options: MercureHubOptions = {}, extraControllers: object[] = []): Promise<{ app: App; mercure: MercureHub; url: string; close(): Promise<void> }> {
  const mercure = createMercureHub({ publisherJwt: { key: SECRET }, anonymous: true, ...options });
  const app = createApp({ controllers: [mercure.controller, ...extraControllers], onError: () => {} });
  // As `eventide hub` does: subscription resources of topics holding `/` reach the API.
  app.server.removeAllListeners('request');
  app.server.on('request', mercure.wrapHandler(app.handler));
  await app.listen(0, '127.0.0.1');
  return {
    app,
    mercure,
    url: app.url,
    close: async () => {
      await app.close();
      await mercure.close();
    },
  };
}

/** Publishes a form; resolves with the response. */
export async function publish(base: string, fields: Record<string, string | string[]>, token?: string | null, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  const auth: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token ?? (await publishAll())}` };
  return fetch(`${base}${HUB_PATH}`, { method: 'POST', headers: { ...auth, ...headers }, body });
}

/** Publishes and returns the id, failing on any status but 200. */
export async function publishOk(base: string, fields: Record<string, string | string[]>, token?: string): Promise<string> {
  const res = await publish(base, fields, token);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`publish answered ${res.status}: ${text}`);
  return text;
}

/** The subscribe URL for selectors and extra query parameters. */
export function subscribeUrl(base: string, topics: string[], extra: Record<string, string> = {}): string {
  const url = new URL(`${base}${HUB_PATH}`);
  for (const t of topics) url.searchParams.append('topic', t);
  for (const [k, v] of Object.entries(extra)) url.searchParams.append(k, v);
  return url.href;
}
