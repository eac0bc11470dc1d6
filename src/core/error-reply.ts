import { STATUS_CODES } from 'node:http';
import { publicError, statusOf } from '../connection/public-error.js';
import type { Exchange } from './exchange.js';

const utf8 = new TextEncoder();

/**
 * Answers a request with an ordinary HTTP error: status plus a small JSON body
 * `{ statusCode, error, code, message }`. Internal error messages never reach the client. When the
 * response already started, it is cut instead (a half-sent body must not look complete).
 */
export function respondError(exchange: Exchange, err: unknown, extraHeaders?: Record<string, string>): void {
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
  for (const [name, value] of Object.entries(extraHeaders ?? {})) exchange.setHeader(name, value);
  exchange.send(body);
}
