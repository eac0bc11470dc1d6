import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ServerResponse } from 'node:http';
import { httpError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** A file to send as a route's response; made by {@link file}. */
export class FileResponse {
  constructor(
    readonly path: string,
    readonly contentType: string,
  ) {}
}

/**
 * Answers an ordinary route with a file's contents. The content type comes from the extension
 * unless given. The path is used as given: never build it from request input.
 *
 * @example
 * ```ts
 * @Get() page() { return file(new URL('./index.html', import.meta.url).pathname); }
 * ```
 */
export function file(path: string, options: { contentType?: string } = {}): FileResponse {
  return new FileResponse(path, options.contentType ?? TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
}

export async function sendFile(res: ServerResponse, response: FileResponse, headOnly: boolean): Promise<void> {
  let size: number;
  try {
    const info = await stat(response.path);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    throw httpError(404, 'file not found');
  }
  res.setHeader('Content-Type', response.contentType);
  res.setHeader('Content-Length', size);
  if (headOnly) {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(response.path);
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}
