import { STATUS_CODES } from 'node:http';
import { publicError, statusOf } from '../connection/public-error.js';
import { EventideError } from '../errors.js';
import type { Exchange } from './exchange.js';

const utf8 = new TextEncoder();

/** Headers that belong to every answer of an exchange, error answers included (CORS). */
const lasting = new WeakMap<Exchange, Record<string, string>>();

/** Sets `headers` on the exchange now, and again on any error answer that replaces its headers. */
export function setLastingHeaders(exchange: Exchange, headers: Record<string, string>): void {
  lasting.set(exchange, headers);
  for (const [name, value] of Object.entries(headers)) exchange.setHeader(name, value);
}

/**
 * Answers a request with an ordinary HTTP error: status plus a small JSON body
 * `{ statusCode, error, code, message }`. Internal error messages never reach the client. When the
 * response already started, it is cut instead (a half-sent body must not look complete).
 */
export function respondError(exchange: Exchange, err: unknown, extraHeaders?: Record<string, string | number | readonly string[]>): void {
  if (exchange.finished) return;
  if (exchange.headSent) {
    exchange.destroy();
    return;
  }
  const status = statusOf(err);
  const { code, message } = publicError(err);
  const body = utf8.encode(JSON.stringify({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message }));
  // Headers set by the handler for a stream (Content-Type, Cache-Control, ...) do not fit an error.
  exchange.clearHeaders();
  exchange.statusCode = status;
  exchange.setHeader('Content-Type', 'application/json; charset=utf-8');
  exchange.setHeader('Content-Length', body.length);
  for (const [name, value] of Object.entries(lasting.get(exchange) ?? {})) exchange.setHeader(name, value);
  for (const [name, value] of Object.entries(extraHeaders ?? {})) exchange.setHeader(name, value);
  if (err instanceof EventideError && err.headers !== undefined) {
    for (const [name, value] of Object.entries(err.headers)) {
      const lower = name.toLowerCase();
      if (lower !== 'content-length' && lower !== 'content-type') exchange.setHeader(name, value);
    }
  }
  exchange.send(body);
}
