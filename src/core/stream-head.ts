import type { Exchange } from './exchange.js';

/**
 * The headers of an event stream, where the handler did not set its own:
 * `Content-Type: text/event-stream`, `Cache-Control: no-cache, no-transform` (proxies and
 * compression leave it alone), `X-Accel-Buffering: no` (nginx does not buffer it).
 */
export function applyStreamHeaders(exchange: Exchange): void {
  for (const [name, value] of STREAM_HEADERS) if (!exchange.hasHeader(name)) exchange.setHeader(name, value);
}

/** The default headers of an event stream (see {@link applyStreamHeaders}). */
export const STREAM_HEADERS: readonly (readonly [string, string])[] = [
  ['Content-Type', 'text/event-stream; charset=utf-8'],
  ['Cache-Control', 'no-cache, no-transform'],
  ['X-Accel-Buffering', 'no'],
];

/** Before a stream opens: the default headers, unless the exchange's sink writes them as it opens. */
export function prepareStreamHead(exchange: Exchange): void {
  if (!exchange.headSent && !exchange.writesStreamHeaders) applyStreamHeaders(exchange);
}
