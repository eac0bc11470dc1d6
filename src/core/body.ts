// Request bodies: read through the platform, parsed by content type.
import { httpError } from '../errors.js';
import type { Exchange } from './exchange.js';

/** Methods whose request bodies are not read. */
export const BODYLESS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
const utf8 = new TextDecoder('utf-8');

/**
 * Reads and parses a request body: JSON for `*json`, text for `text/*` and form bodies, bytes
 * otherwise. More than `limit` bytes is a 413, malformed JSON a 400. Bodies of GET, HEAD, DELETE
 * and OPTIONS requests are not read.
 */
export async function readBody(exchange: Exchange, limit: number): Promise<unknown> {
  if (exchange.parsedBody) return exchange.parsedBody.value;
  if (BODYLESS.has(exchange.method)) return undefined;
  const raw = await exchange.readBody(limit);
  if (raw === undefined || raw.length === 0) return undefined;
  const rawType = exchange.headers['content-type'];
  const type = (Array.isArray(rawType) ? rawType[0] : rawType ?? '').toLowerCase();
  if (type.includes('json')) {
    try {
      return JSON.parse(utf8.decode(raw));
    } catch {
      throw httpError(400, 'request body is not valid JSON');
    }
  }
  if (type.startsWith('text/') || type.includes('x-www-form-urlencoded')) return utf8.decode(raw);
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}
