// Serves one exchange against the route table: match, admission, body, context, handler, then an
// ordinary response or a stream handed to a connection. Never throws; every failure becomes a
// response (or, once a stream is open, the stream's error event) and a report.
import type { StreamOptions } from '../connection/options.js';
import { EventideError, httpError } from '../errors.js';
import type { RouteTable } from '../router/routes.js';
import { toSource, type StreamSource } from '../sources/index.js';
import { argumentsFor } from './arguments.js';
import type { BoundRoute } from './bind.js';
import { BODYLESS, readBody } from './body.js';
import { ExchangeContext, type ContextHost } from './context.js';
import type { CorsPolicy } from './cors.js';
import { respondError, setLastingHeaders } from './error-reply.js';
import { runGuards } from './guards.js';
import type { Exchange } from './exchange.js';
import { LazyAbort } from './lazy-abort.js';
import { pathOf } from './path.js';
import { sendValue } from './reply.js';
import { applyStreamHeaders, prepareStreamHead } from './stream-head.js';
import type { StreamSlot } from './streams.js';

/** What dispatch needs of the app that hosts it. */
export interface DispatchHost extends ContextHost {
  readonly table: RouteTable<BoundRoute>;
  readonly bodyLimit: number;
  /** The app's CORS policy, if any. */
  readonly cors?: CorsPolicy;
  /** Reserves a stream slot for `exchange`'s client on `route` (its pattern), or returns the 503 to answer with. */
  reserve(exchange: Exchange, route?: string): StreamSlot | EventideError;
  /** Opens a stream in `slot` on `route` (its pattern) and starts `source` on it. */
  startStream(
    exchange: Exchange,
    source: StreamSource,
    options: Required<StreamOptions>,
    slot: StreamSlot,
    route?: string,
  ): void;
  /** Hears of errors the application should know about; never throws. Callable unbound. */
  readonly report: (err: unknown, exchange: Exchange) => void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function stopQuietly(source: StreamSource, host: DispatchHost, exchange: Exchange): void {
  try {
    source.stop();
  } catch (err) {
    host.report(err, exchange);
  }
}

function firstHeader(exchange: Exchange, name: string): string | undefined {
  const value = exchange.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * CORS: answers a preflight for a known path (true when it did), and otherwise sets the
 * Access-Control-* headers every answer to this request carries, error answers included.
 */
function applyCors(cors: CorsPolicy, exchange: Exchange, table: DispatchHost['table'], pathname: string): boolean {
  const origin = firstHeader(exchange, 'origin');
  const requestedMethod = firstHeader(exchange, 'access-control-request-method');
  if (exchange.method === 'OPTIONS' && origin !== undefined && requestedMethod !== undefined) {
    // Every route's method is listed in `allowed` for a method no route has.
    const { allowed } = table.match('(preflight)', pathname);
    if (allowed.length > 0) {
      const headers = cors.preflightHeaders(origin, firstHeader(exchange, 'access-control-request-headers'), allowed);
      exchange.statusCode = 204;
      for (const [name, value] of Object.entries(headers)) exchange.setHeader(name, value);
      exchange.setHeader('Content-Length', 0);
      exchange.send(undefined);
      return true;
    }
  }
  setLastingHeaders(exchange, cors.responseHeaders(origin));
  return false;
}

function allowHeader(allowed: readonly string[]): string {
  const methods = [...allowed];
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  return methods.join(', ');
}

export async function dispatch(host: DispatchHost, exchange: Exchange): Promise<void> {
  // An exchange may be its own abort state (node:http's is): one object fewer per request.
  const abort = exchange instanceof LazyAbort ? exchange : new LazyAbort();
  exchange.onAbort(abort);
  let slot: StreamSlot | undefined;
  try {
    const pathname = pathOf(exchange.target);
    if (pathname === undefined) throw httpError(400, 'the request URL is malformed');
    const method = exchange.method;
    if (host.cors && applyCors(host.cors, exchange, host.table, pathname)) return;
    const { match, allowed } = host.table.match(method, pathname);
    if (!match) {
      if (allowed.length > 0) {
        const allow = allowHeader(allowed);
        respondError(exchange, httpError(405, `${method} is not allowed on ${pathname}; use ${allow.replace(/, /g, ' or ')}`), { Allow: allow });
        return;
      }
      throw httpError(404, `no route for ${method} ${pathname}`);
    }
    const route = match.target;
    const headOnly = method === 'HEAD';
    const ctx = new ExchangeContext(exchange, match.params, abort, host);
    if (route.guards.length > 0) {
      // Before any slot is taken or body read: a refused request holds nothing and reads nothing.
      try {
        await runGuards(route.guards, ctx);
      } catch (err) {
        const refusal = err instanceof EventideError && err.expose;
        if (!refusal) host.report(err, exchange);
        // A refusal keeps the headers its guard set (WWW-Authenticate, Retry-After); a failure does not.
        respondError(exchange, err, refusal ? ctx.headersSet() : undefined);
        return;
      }
      // A guard answered through ctx.res, or the client left while the guards decided.
      if (exchange.headSent || exchange.finished || abort.aborted) return;
    }
    if (route.meta.sse && !headOnly) {
      // The slot is taken (synchronously) before the body is read or the handler awaited, so
      // concurrent requests cannot overshoot a limit; guards ran before, so refusals never hold one.
      const reserved = host.reserve(exchange, route.pattern);
      if (reserved instanceof EventideError) {
        respondError(exchange, reserved, { 'Retry-After': '5' });
        return;
      }
      slot = reserved;
    }
    // Bodyless methods and a handler that returns no promise skip the awaits (a held stream's
    // request then makes no promises while it opens).
    if (!BODYLESS.has(method) || exchange.parsedBody) ctx.provideBody(await readBody(exchange, host.bodyLimit));
    let result: unknown = route.handler.apply(route.instance, argumentsFor(route.params, ctx));
    if (isThenable(result)) result = await result;

    if (!route.meta.sse) {
      // A handler that wrote the response itself through ctx.res owns it.
      if (!exchange.headSent && !exchange.finished) await sendValue(exchange, result, headOnly);
      return;
    }
    if (exchange.statusCode === 204 && (result === undefined || result === null)) {
      // [spec] A 204 tells EventSource not to reconnect.
      if (!exchange.headSent && !exchange.finished) exchange.send(undefined);
      return;
    }
    const source = toSource(result);
    if (headOnly || exchange.statusCode === 204 || exchange.finished || abort.aborted) {
      // HEAD: the head a GET would get, no body, no source started. 204: no stream. A response the
      // handler ended itself, or a client that left while the handler ran: nothing to stream to.
      stopQuietly(source, host, exchange);
      if (!exchange.headSent && !exchange.finished) {
        if (exchange.statusCode !== 204) applyStreamHeaders(exchange);
        exchange.send(undefined);
      }
      return;
    }
    prepareStreamHead(exchange);
    host.startStream(exchange, source, route.stream, slot!, route.pattern);
    slot = undefined; // the stream holds it now
  } catch (err) {
    if (!(err instanceof EventideError && err.expose)) host.report(err, exchange);
    respondError(exchange, err);
  } finally {
    slot?.release();
  }
}
