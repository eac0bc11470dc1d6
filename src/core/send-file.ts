// A file response: containment in its root, conditional requests and byte ranges decided here;
// the platform streams the bytes.
import { realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { httpError } from '../errors.js';
import type { FileResponse } from '../router/file.js';
import type { Exchange } from './exchange.js';

function header(exchange: Exchange, name: string): string | undefined {
  const value = exchange.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function containedPath(response: FileResponse): Promise<string | undefined> {
  try {
    const real = await realpath(response.path);
    if (response.root === undefined) return real;
    const root = await realpath(response.root);
    return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a single `bytes=` range; `undefined` to send the whole file, `null` when unsatisfiable. */
function parseRange(value: string, size: number): { start: number; end: number } | undefined | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match) return undefined; // several ranges or another unit: the whole file is a valid answer
  const [, a, b] = match;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return undefined;
  }
  if (start >= size) return null;
  return { start, end };
}

export async function sendFile(exchange: Exchange, response: FileResponse, headOnly: boolean): Promise<void> {
  const path = await containedPath(response);
  const info = path === undefined ? undefined : await stat(path).catch(() => undefined);
  if (path === undefined || !info?.isFile()) throw httpError(404, 'file not found');
  const size = info.size;
  const etag = `W/"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
  if (!exchange.hasHeader('content-type')) exchange.setHeader('Content-Type', response.contentType);
  exchange.setHeader('ETag', etag);
  exchange.setHeader('Last-Modified', lastModified.toUTCString());
  exchange.setHeader('Accept-Ranges', 'bytes');

  const ifNoneMatch = header(exchange, 'if-none-match');
  const ifModifiedSince = header(exchange, 'if-modified-since');
  const notModified =
    ifNoneMatch !== undefined
      ? ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || tag.trim().replace(/^W\//, '') === etag.slice(2))
      : ifModifiedSince !== undefined && !Number.isNaN(Date.parse(ifModifiedSince)) && lastModified.getTime() <= Date.parse(ifModifiedSince);
  if (notModified && (exchange.method === 'GET' || exchange.method === 'HEAD')) {
    exchange.statusCode = 304;
    exchange.send(undefined);
    return;
  }

  let start = 0;
  let end = size - 1;
  const rangeHeader = header(exchange, 'range');
  const ifRange = header(exchange, 'if-range');
  if (rangeHeader !== undefined && exchange.method === 'GET' && (ifRange === undefined || ifRange === etag || ifRange === lastModified.toUTCString())) {
    const range = parseRange(rangeHeader, size);
    if (range === null) {
      exchange.statusCode = 416;
      exchange.setHeader('Content-Range', `bytes */${size}`);
      exchange.setHeader('Content-Length', 0);
      exchange.send(undefined);
      return;
    }
    if (range) {
      ({ start, end } = range);
      exchange.statusCode = 206;
      exchange.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
  }
  exchange.setHeader('Content-Length', end - start + 1);
  if (headOnly || end < start) {
    exchange.send(undefined);
    return;
  }
  await exchange.sendFile({ path, start, end });
}
