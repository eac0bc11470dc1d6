// What an ordinary (non-SSE) route returned, as a response: nothing -> 204, a string -> text,
// bytes -> octet-stream, `file(path)` -> the file, anything else -> JSON. Headers the handler set win.
import { FileResponse } from '../router/file.js';
import type { Exchange } from './exchange.js';
import { sendFile } from './send-file.js';

const utf8 = new TextEncoder();

export async function sendValue(exchange: Exchange, value: unknown, headOnly: boolean): Promise<void> {
  if (value instanceof FileResponse) {
    await sendFile(exchange, value, headOnly);
    return;
  }
  if (value === undefined) {
    if (exchange.statusCode === 200) exchange.statusCode = 204;
    exchange.send(undefined);
    return;
  }
  let body: Uint8Array;
  let type: string;
  if (typeof value === 'string') {
    body = utf8.encode(value);
    type = 'text/plain; charset=utf-8';
  } else if (value instanceof Uint8Array) {
    body = value;
    type = 'application/octet-stream';
  } else {
    body = utf8.encode(JSON.stringify(value) ?? 'null');
    type = 'application/json; charset=utf-8';
  }
  if (!exchange.hasHeader('content-type')) exchange.setHeader('Content-Type', type);
  exchange.setHeader('Content-Length', body.length);
  exchange.send(headOnly ? undefined : body);
}
