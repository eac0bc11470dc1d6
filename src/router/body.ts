import type { IncomingMessage } from 'node:http';
import { httpError } from '../errors.js';

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * Reads and parses a request body, refusing more than `limit` bytes with 413 and malformed JSON
 * with 400. Bodies of GET, HEAD, DELETE and OPTIONS requests are not read.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (BODYLESS.has(req.method ?? 'GET')) return undefined;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw httpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw httpError(413, `request body exceeds the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const raw = Buffer.concat(chunks, size);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json')) {
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw httpError(400, 'request body is not valid JSON');
    }
  }
  if (type.startsWith('text/') || type.includes('x-www-form-urlencoded')) return raw.toString('utf8');
  return raw;
}
