// Reads `eventide hub` options from flags and the environment (a flag wins over its variable).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { MercureHubOptions, MercureKeyOptions } from '../mercure/index.js';

/** A configuration problem: printed with the hint to run --help, exit code 2. */
export class ConfigError extends Error {}

/** Everything the hub command needs. */
export interface HubConfig {
  readonly help: boolean;
  readonly version: boolean;
  readonly host: string;
  readonly port: number;
  readonly tls: { cert: string; key: string } | undefined;
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string | undefined;
  readonly historySize: number;
  readonly historyMaxAgeMs: number;
  readonly heartbeatMs: number;
  readonly bodyLimit: number;
  readonly maxStreams: number;
  readonly maxStreamsPerAddress: number;
  readonly mercure: MercureHubOptions;
}

/** Every flag of `eventide hub` (the help text documents each, with its variable). */
export const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  host: { type: 'string' },
  port: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'public-url': { type: 'string' },
  'jwt-key': { type: 'string' },
  'jwt-alg': { type: 'string' },
  'publisher-jwt-key': { type: 'string' },
  'publisher-jwt-alg': { type: 'string' },
  'subscriber-jwt-key': { type: 'string' },
  'subscriber-jwt-alg': { type: 'string' },
  'jwks-url': { type: 'string' },
  anonymous: { type: 'boolean' },
  audience: { type: 'string' },
  issuer: { type: 'string' },
  'access-tokens-only': { type: 'boolean' },
  'cors-origins': { type: 'string' },
  'publish-origins': { type: 'string' },
  'cookie-name': { type: 'string' },
  subscriptions: { type: 'boolean' },
  'subscriptions-ttl': { type: 'string' },
  'redis-url': { type: 'string' },
  'redis-prefix': { type: 'string' },
  channel: { type: 'string' },
  'history-size': { type: 'string' },
  'history-max-age': { type: 'string' },
  heartbeat: { type: 'string' },
  'body-limit': { type: 'string' },
  'max-topics': { type: 'string' },
  'max-streams': { type: 'string' },
  'max-streams-per-address': { type: 'string' },
} as const;

type Flag = keyof typeof FLAGS;

/** The environment variable of a flag. */
export function envName(flag: Flag): string {
  return `EVENTIDE_HUB_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** Parses the arguments after `hub` with the environment. Throws {@link ConfigError}. */
export function readConfig(args: readonly string[], env: NodeJS.ProcessEnv): HubConfig {
  let values: Partial<Record<Flag, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const str = (flag: Flag): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[envName(flag)];
    return e === undefined || e === '' ? undefined : e;
  };
  const bool = (flag: Flag): boolean => {
    if (values[flag] === true) return true;
    const e = env[envName(flag)];
    return e !== undefined && /^(1|true|yes|on)$/i.test(e);
  };
  const int = (flag: Flag, fallback: number, min = 0): number => {
    const text = flag === 'port' ? (str(flag) ?? env.PORT) : str(flag);
    if (text === undefined) return fallback;
    if (!/^[0-9]+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
      throw new ConfigError(`--${flag} (${envName(flag)}) must be an integer >= ${min}, got ${JSON.stringify(text)}`);
    }
    return Number(text);
  };
  const list = (flag: Flag): string[] | undefined =>
    str(flag)
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  const keyText = (flag: Flag): string | undefined => {
    const v = str(flag);
    if (v === undefined || !v.startsWith('@')) return v;
    try {
      return readFileSync(v.slice(1), 'utf8');
    } catch (err) {
      throw new ConfigError(`--${flag}: cannot read ${v.slice(1)}: ${(err as Error).message}`);
    }
  };
  const jwksUrl = str('jwks-url');
  const alg = str('jwt-alg');
  const role = (prefix: 'publisher' | 'subscriber'): MercureKeyOptions | undefined => {
    const key = keyText(`${prefix}-jwt-key`) ?? keyText('jwt-key');
    const roleAlg = str(`${prefix}-jwt-alg`) ?? alg;
    if (key === undefined && jwksUrl === undefined) return undefined;
    return { ...(key === undefined ? {} : { key }), ...(roleAlg === undefined ? {} : { alg: roleAlg }), ...(jwksUrl === undefined ? {} : { jwksUrl }) };
  };
  const tlsCert = str('tls-cert');
  const tlsKey = str('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ConfigError('--tls-cert and --tls-key go together');
  let tls: HubConfig['tls'];
  if (tlsCert !== undefined && tlsKey !== undefined) {
    try {
      tls = { cert: readFileSync(tlsCert, 'utf8'), key: readFileSync(tlsKey, 'utf8') };
    } catch (err) {
      throw new ConfigError(`cannot read the TLS files: ${(err as Error).message}`);
    }
  }
  const cookieName = str('cookie-name');
  const redisUrl = str('redis-url');
  const redisPrefix = str('redis-prefix');
  const subscriptionsTtlMs = int('subscriptions-ttl', 30, 1) * 1000;
  const publisherJwt = role('publisher');
  const subscriberJwt = role('subscriber');
  const mercure: MercureHubOptions = {
    ...(publisherJwt ? { publisherJwt } : {}),
    ...(subscriberJwt ? { subscriberJwt } : {}),
    anonymous: bool('anonymous'),
    subscriptions: bool('subscriptions'),
    // In a cluster, the subscriptions API lists every process's subscriptions, kept in Redis.
    ...(redisUrl !== undefined ? { subscriptionsRedis: { url: redisUrl, ttlMs: subscriptionsTtlMs, ...(redisPrefix ? { keyPrefix: redisPrefix } : {}) } } : {}),
    accessTokensOnly: bool('access-tokens-only'),
    ...(list('cors-origins') ? { corsOrigins: list('cors-origins') } : {}),
    ...(list('publish-origins') ? { publishOrigins: list('publish-origins') } : {}),
    ...(cookieName ? { cookieNames: [cookieName] } : {}),
    ...(list('audience') ? { audience: list('audience') } : {}),
    ...(list('issuer') ? { issuers: list('issuer') } : {}),
    ...(str('public-url') ? { publicUrl: str('public-url') } : {}),
    ...(str('channel') ? { channel: str('channel') } : {}),
    maxTopics: int('max-topics', 100, 1),
  };
  return {
    help: values.help === true,
    version: values.version === true,
    host: str('host') ?? '127.0.0.1',
    port: int('port', 3000),
    tls,
    redisUrl,
    redisPrefix,
    historySize: int('history-size', 10_000),
    historyMaxAgeMs: int('history-max-age', 3600) * 1000,
    heartbeatMs: int('heartbeat', 15_000),
    bodyLimit: int('body-limit', 1024 * 1024, 1),
    maxStreams: int('max-streams', 0),
    maxStreamsPerAddress: int('max-streams-per-address', 0),
    mercure,
  };
}
