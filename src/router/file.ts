import { extname, isAbsolute, resolve } from 'node:path';
import { EventideError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/** Options of {@link file}. */
export interface FileOptions {
  /**
   * A directory the file must lie in. With `root`, `path` is resolved against it and a path that
   * leaves it (`..`, an absolute path elsewhere, a symbolic link pointing out) answers `404`,
   * revealing nothing. Use it whenever `path` comes from the request.
   */
  root?: string;
  /** The `Content-Type`; default: from the extension, else `application/octet-stream`. */
  contentType?: string;
}

/** A file to send as a route's response; made by {@link file}. */
export class FileResponse {
  constructor(
    readonly path: string,
    readonly contentType: string,
    readonly root: string | undefined,
  ) {}
}

/**
 * Answers an ordinary route with a file. It supports `HEAD`, conditional requests (`ETag`,
 * `Last-Modified`, `If-None-Match`, `If-Modified-Since` -> `304`) and single byte ranges
 * (`Range` -> `206`, `416` when unsatisfiable). A client that goes away mid-download releases the file.
 *
 * @example
 * ```ts
 * @Get('assets/:name')
 * asset(ctx: RequestContext) {
 *   return file(ctx.params.name, { root: new URL('./public', import.meta.url).pathname });
 * }
 * ```
 */
export function file(path: string, options: FileOptions = {}): FileResponse {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `file(path) takes a non-empty path without NUL characters, got ${JSON.stringify(path)}`);
  }
  if (options.root !== undefined && (typeof options.root !== 'string' || !isAbsolute(options.root))) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `file(path, { root }) takes an absolute directory path, got ${String(options.root)}`);
  }
  const full = options.root === undefined ? path : resolve(options.root, path.replace(/^[/\\]+/, ''));
  return new FileResponse(full, options.contentType ?? TYPES[extname(full).toLowerCase()] ?? 'application/octet-stream', options.root);
}
