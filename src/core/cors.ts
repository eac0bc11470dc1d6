// CORS for eventide's own routes: preflights answered, and the Access-Control-* headers set on
// streams and ordinary responses alike. A disallowed origin is not refused: its response simply
// carries no Access-Control-Allow-Origin, and the browser withholds it from the page.
import { EventideError } from '../errors.js';
import { numberOption } from '../options/validate.js';
import type { HttpMethod } from '../router/metadata.js';

/** Which origins may read responses. */
export type CorsOrigin = string | RegExp | readonly (string | RegExp)[] | ((origin: string) => boolean) | true;

/** The `cors` option of `createApp` (and every platform that runs the route core). */
export interface CorsOptions {
  /**
   * The allowed origins: `'*'` (any, without credentials), one origin, a RegExp tested against
   * the `Origin` header, a list of origins and RegExps, a function `(origin) => boolean`, or `true` for any origin
   * (reflected, so that it works with credentials).
   */
  origin: CorsOrigin;
  /** Sends `Access-Control-Allow-Credentials: true` (cookies, `withCredentials`). Default false. */
  credentials?: boolean;
  /**
   * Request headers a cross-origin request may send (`Last-Event-ID`, `Authorization`, ...).
   * Default: those the preflight asks for.
   */
  allowedHeaders?: readonly string[];
  /** Response headers the page may read (`Access-Control-Expose-Headers`). Default none. */
  exposedHeaders?: readonly string[];
  /** Seconds a browser may cache a preflight answer (`Access-Control-Max-Age`). Default: not sent. */
  maxAge?: number;
  /** Methods a preflight allows. Default: the methods the requested path answers. */
  methods?: readonly HttpMethod[];
}

export interface CorsPolicy {
  /** Headers for a response to a request from `origin` (undefined: no Origin header). */
  responseHeaders(origin: string | undefined): Record<string, string>;
  /** Headers for a preflight from `origin`, for a path answering `pathMethods`. */
  preflightHeaders(origin: string, requestHeaders: string | undefined, pathMethods: readonly string[]): Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function invalid(where: string, message: string): EventideError {
  return new EventideError('EVENTIDE_INVALID_OPTION', `${where} option \`cors\`: ${message}`);
}

function tokenList(where: string, name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !TOKEN.test(v))) {
    throw invalid(where, `\`${name}\` must be an array of header or method names, got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

function originMatcher(where: string, origin: unknown): { test: (origin: string) => boolean; wildcard: boolean } {
  if (origin === true) return { test: () => true, wildcard: false };
  if (origin === '*') return { test: () => true, wildcard: true };
  if (typeof origin === 'string') {
    if (origin.length === 0 || /[\s,]/.test(origin)) throw invalid(where, `\`origin\` must be one origin like "https://app.example", got ${JSON.stringify(origin)}`);
    return { test: (o) => o === origin, wildcard: false };
  }
  if (Array.isArray(origin) && origin.length > 0) {
    const exact = new Set<string>();
    const patterns: RegExp[] = [];
    for (const item of origin) {
      if (item instanceof RegExp) patterns.push(new RegExp(item.source, item.flags.replace(/[gy]/g, '')));
      else if (typeof item === 'string' && item.length > 0 && item !== '*' && !/[\s,]/.test(item)) exact.add(item);
      else throw invalid(where, `\`origin\` lists origins like "https://app.example" and RegExps, got ${JSON.stringify(String(item))}`);
    }
    return { test: (o) => exact.has(o) || patterns.some((p) => p.test(o)), wildcard: false };
  }
  if (origin instanceof RegExp) {
    // A global or sticky RegExp keeps state between tests; a copy without those flags does not.
    const pattern = new RegExp(origin.source, origin.flags.replace(/[gy]/g, ''));
    return { test: (o) => pattern.test(o), wildcard: false };
  }
  if (typeof origin === 'function') return { test: origin as (o: string) => boolean, wildcard: false };
  throw invalid(where, '`origin` must be "*", an origin string, an array of origins, a RegExp, a function (origin) => boolean, or true');
}

/** Checks the `cors` option once, at start-up; `undefined` when CORS is off. */
export function resolveCors(where: string, value: unknown): CorsPolicy | undefined {
  if (value === undefined || value === false) return undefined;
  const options = (value === true ? { origin: true } : value) as CorsOptions;
  if (typeof options !== 'object' || options === null) throw invalid(where, 'expected true or an object like { origin }');
  if (!('origin' in options)) throw invalid(where, 'say which origins may read responses: { origin: "https://app.example" } (or true for any)');
  const match = originMatcher(where, options.origin);
  if (options.credentials !== undefined && typeof options.credentials !== 'boolean') throw invalid(where, '`credentials` must be true or false');
  const credentials = options.credentials === true;
  if (credentials && match.wildcard) {
    throw invalid(where, 'browsers refuse `Access-Control-Allow-Origin: *` with credentials; use origin: true (reflects the origin) or list the origins');
  }
  const allowedHeaders = tokenList(where, 'allowedHeaders', options.allowedHeaders);
  const exposedHeaders = tokenList(where, 'exposedHeaders', options.exposedHeaders);
  const methods = tokenList(where, 'methods', options.methods)?.map((m) => m.toUpperCase());
  const maxAge = options.maxAge === undefined ? undefined : numberOption(`${where} cors`, 'maxAge', options.maxAge, { min: 0, fallback: 0 });

  const allowOrigin = (origin: string | undefined): string | undefined => {
    if (match.wildcard) return '*';
    if (origin === undefined) return undefined;
    try {
      return match.test(origin) === true ? origin : undefined;
    } catch {
      return undefined; // a throwing matcher allows nothing
    }
  };
  const common = (origin: string | undefined): Record<string, string> => {
    const headers: Record<string, string> = {};
    const allowed = allowOrigin(origin);
    if (allowed !== undefined) {
      headers['Access-Control-Allow-Origin'] = allowed;
      if (credentials) headers['Access-Control-Allow-Credentials'] = 'true';
    }
    // The answer depends on the Origin header: caches must keep one per origin.
    if (!match.wildcard) headers['Vary'] = 'Origin';
    return headers;
  };

  return {
    responseHeaders(origin) {
      const headers = common(origin);
      if (headers['Access-Control-Allow-Origin'] !== undefined && exposedHeaders?.length) {
        headers['Access-Control-Expose-Headers'] = exposedHeaders.join(', ');
      }
      return headers;
    },
    preflightHeaders(origin, requestHeaders, pathMethods) {
      const headers = common(origin);
      if (allowedHeaders === undefined) headers['Vary'] = headers['Vary'] ? 'Origin, Access-Control-Request-Headers' : 'Access-Control-Request-Headers';
      if (headers['Access-Control-Allow-Origin'] === undefined) return headers;
      const list = methods ?? [...pathMethods];
      if (list.includes('GET') && !list.includes('HEAD')) list.push('HEAD');
      headers['Access-Control-Allow-Methods'] = list.join(', ');
      const allowHeaders = allowedHeaders?.join(', ') ?? requestHeaders?.split(',').map((h) => h.trim()).filter((h) => TOKEN.test(h)).join(', ');
      if (allowHeaders) headers['Access-Control-Allow-Headers'] = allowHeaders;
      if (maxAge !== undefined) headers['Access-Control-Max-Age'] = String(maxAge);
      return headers;
    },
  };
}
