import { STATUS_CODES, type ServerResponse } from 'node:http';
import { EventideError } from '../errors.js';

/** The status an error answers with: its own for an EventideError, 500 for anything else. */
export function statusOf(err: unknown): number {
  return err instanceof EventideError ? err.status : 500;
}

/** What a client may learn of an error: its message only when the error is marked exposable. */
export function publicError(err: unknown): { code: string; message: string } {
  if (err instanceof EventideError && err.expose) return { code: err.code, message: err.message };
  return { code: 'EVENTIDE_INTERNAL', message: 'Internal Server Error' };
}

/**
 * Answers a request with an ordinary HTTP error: status plus a small JSON body. Internal error
 * messages never reach the client. Does nothing if the response already started.
 */
export function respondError(res: ServerResponse, err: unknown, extraHeaders?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const status = statusOf(err);
  const { code, message } = publicError(err);
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message });
  // Headers set by the handler for a stream (Content-Type, Cache-Control, ...) do not fit an error.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}
