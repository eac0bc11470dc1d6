// CORS for browsers on other origins. With credentials (the cookie), the allowed origin is
// echoed only when it is on the configured list; `*` allows any origin without credentials.
import type { IncomingHttpHeaders } from 'node:http';

/** The CORS headers for a response to a request with these headers. */
export function corsHeaders(origins: readonly string[], headers: IncomingHttpHeaders): Record<string, string> {
  const origin = headers.origin;
  if (origins.length === 0 || origin === undefined) return {};
  if (origins.includes(origin)) {
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'Last-Event-ID, Link, WWW-Authenticate',
      Vary: 'Origin',
    };
  }
  if (origins.includes('*')) {
    return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Last-Event-ID, Link, WWW-Authenticate' };
  }
  return { Vary: 'Origin' };
}

/** The extra headers of a preflight (OPTIONS) answer. */
export function preflightHeaders(origins: readonly string[], headers: IncomingHttpHeaders): Record<string, string> {
  const base = corsHeaders(origins, headers);
  if (!('Access-Control-Allow-Origin' in base)) return base;
  return {
    ...base,
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Cache-Control, Content-Type, Last-Event-ID',
    'Access-Control-Max-Age': '600',
  };
}
