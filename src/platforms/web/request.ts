// The parts of a web Request the route core reads: target, headers in node's shape, and the body
// under a byte limit.
import type { IncomingHttpHeaders } from 'node:http';
import { httpError } from '../../errors.js';

/** `/path?query` of an absolute request URL. */
export function targetOf(url: string): string {
  const scheme = url.indexOf('//');
  const slash = url.indexOf('/', scheme === -1 ? 0 : scheme + 2);
  if (slash === -1) return '/';
  const hash = url.indexOf('#', slash);
  return hash === -1 ? url.slice(slash) : url.slice(slash, hash);
}

/** Request headers as lower-case names; a request made in-process without Host gets its URL's host. */
export function headersOf(request: Request): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = Object.create(null);
  for (const [name, value] of request.headers) out[name] = value;
  if (out.host === undefined) {
    try {
      out.host = new URL(request.url).host;
    } catch {
      // no usable URL: the core falls back to localhost
    }
  }
  return out;
}

/** Reads a request body, refusing more than `limit` bytes with 413. */
export async function readWebBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limit) throw httpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  if (!request.body) return undefined;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw httpError(413, `request body exceeds the limit of ${limit} bytes`);
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
  if (size === 0) return undefined;
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
