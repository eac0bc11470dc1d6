import type { Exchange } from './exchange.js';

/**
 * The headers of an event stream, where the handler did not set its own:
 * `Content-Type: text/event-stream`, `Cache-Control: no-cache, no-transform` (proxies and
 * compression leave it alone), `X-Accel-Buffering: no` (nginx does not buffer it).
 */
export function applyStreamHeaders(exchange: Exchange): void {
  if (!exchange.hasHeader('content-type')) exchange.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  if (!exchange.hasHeader('cache-control')) exchange.setHeader('Cache-Control', 'no-cache, no-transform');
  if (!exchange.hasHeader('x-accel-buffering')) exchange.setHeader('X-Accel-Buffering', 'no');
}
