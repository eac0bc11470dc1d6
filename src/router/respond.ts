import type { ServerResponse } from 'node:http';
import { FileResponse, sendFile } from './file.js';

/**
 * Writes what an ordinary (non-SSE) route returned: nothing -> 204, a string -> text, bytes ->
 * octet-stream, `file(path)` -> the file, anything else -> JSON. Headers set by the handler win.
 */
export async function respondValue(res: ServerResponse, value: unknown, headOnly: boolean): Promise<void> {
  if (value instanceof FileResponse) {
    await sendFile(res, value, headOnly);
    return;
  }
  if (value === undefined) {
    if (res.statusCode === 200) res.statusCode = 204;
    res.end();
    return;
  }
  let body: Buffer;
  let type: string;
  if (typeof value === 'string') {
    body = Buffer.from(value);
    type = 'text/plain; charset=utf-8';
  } else if (value instanceof Uint8Array) {
    body = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    type = 'application/octet-stream';
  } else {
    body = Buffer.from(JSON.stringify(value) ?? 'null');
    type = 'application/json; charset=utf-8';
  }
  if (!res.hasHeader('content-type')) res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', body.length);
  res.end(headOnly ? undefined : body);
}
