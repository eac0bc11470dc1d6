// Turns controllers into a route table and serves requests: context, parameters, handler call,
// then either an ordinary response or an SSE stream handed to the connection layer.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { resolveStreamOptions, type StreamOptions } from '../connection/options.js';
import { respondError } from '../connection/respond-error.js';
import type { Aborter, SseConnection } from '../connection/connection.js';
import { EventideError, httpError } from '../errors.js';
import { toSource } from '../sources/index.js';
import { readBody } from './body.js';
import { pathOf, type RequestContext } from './context.js';
import { LazyAbort } from './lazy-abort.js';
import { readControllerMeta, type ParamSpec, type RouteMeta } from './metadata.js';
import { respondValue } from './respond.js';
import { joinPath, RouteTable } from './routes.js';

/** What the router needs from the app that hosts its streams. */
export interface StreamHost {
  /** Refuses a new stream when a limit is reached: returns the error to answer with, if any. */
  admit(req: IncomingMessage): EventideError | undefined;
  /** Opens a stream for a request whose handler produced a source. */
  open(req: IncomingMessage, res: ServerResponse, abort: Aborter, options: Required<StreamOptions>): SseConnection;
  /** Hears of errors the application should know about. */
  onError(err: unknown, req: IncomingMessage): void;
  /** Most bytes of a request body. */
  readonly bodyLimit: number;
}

interface BoundRoute {
  meta: RouteMeta;
  pattern: string;
  handler: (...args: unknown[]) => unknown;
  instance: object;
  params: ParamSpec[] | undefined;
  /** The stream options of an @Sse route: the app's, overridden by the route's, merged once. */
  stream: Required<StreamOptions>;
}

/** A controller class (with a no-argument constructor) or an instance of one. */
export type ControllerInput = object | (new () => object);

function instantiate(input: ControllerInput): object {
  if (typeof input === 'function') {
    try {
      return new (input as new () => object)();
    } catch (err) {
      throw new EventideError(
        'EVENTIDE_INVALID_CONTROLLER',
        `could not construct controller ${input.name || '(anonymous)'} without arguments; pass an instance instead`,
        { cause: err },
      );
    }
  }
  if (typeof input !== 'object' || input === null) {
    throw new EventideError('EVENTIDE_INVALID_CONTROLLER', `a controller is a class or an instance, got ${input === null ? 'null' : typeof input}`);
  }
  return input;
}

export function buildRoutes(controllers: readonly ControllerInput[], appStream: Required<StreamOptions>): RouteTable<BoundRoute> {
  const table = new RouteTable<BoundRoute>();
  for (const input of controllers) {
    const instance = instantiate(input);
    const ctor = instance.constructor;
    const meta = readControllerMeta(ctor);
    if (!meta) {
      throw new EventideError(
        'EVENTIDE_INVALID_CONTROLLER',
        `${ctor?.name || 'this object'} is not a controller: decorate its class with @Controller()`,
      );
    }
    for (const route of meta.routes) {
      const handler = (instance as Record<string | symbol, unknown>)[route.key];
      if (typeof handler !== 'function') {
        throw new EventideError('EVENTIDE_INVALID_ROUTE', `${ctor.name}.${String(route.key)} is not a method`);
      }
      const pattern = joinPath(meta.prefix, route.path);
      table.add(route.method, pattern, {
        meta: route,
        pattern,
        handler: handler as (...args: unknown[]) => unknown,
        instance,
        params: meta.params.get(route.key),
        stream: route.sse ? resolveStreamOptions(`@Sse('${route.path}') of ${ctor.name}`, appStream, route.stream) : appStream,
      });
    }
  }
  return table;
}

function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of params) if (!(key in out)) out[key] = value;
  return out;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function argumentsFor(specs: ParamSpec[] | undefined, ctx: RequestContext): unknown[] {
  if (!specs || specs.length === 0) return [ctx];
  const args: unknown[] = [];
  for (const spec of specs) {
    const pick = (all: Readonly<Record<string, unknown>>) => (spec.name === undefined ? all : all[spec.name]);
    switch (spec.kind) {
      case 'context': args[spec.index] = ctx; break;
      case 'param': args[spec.index] = pick(ctx.params); break;
      case 'query': args[spec.index] = pick(ctx.query); break;
      case 'headers': args[spec.index] = pick(ctx.headers as Record<string, unknown>); break;
      case 'body': args[spec.index] = ctx.body; break;
      case 'lastEventId': args[spec.index] = ctx.lastEventId; break;
      case 'signal': args[spec.index] = ctx.signal; break;
      case 'req': args[spec.index] = ctx.req; break;
      case 'res': args[spec.index] = ctx.res; break;
    }
  }
  return args;
}

function invalidState(message: string): EventideError {
  return new EventideError('EVENTIDE_INVALID_OPTION', message);
}

/** The request context; URL, query and signal are made on first use (streams rarely need all). */
class HttpRequestContext implements RequestContext {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly #abort: LazyAbort;
  #url: URL | undefined;
  #query: Record<string, string> | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, params: Record<string, string>, body: unknown, abort: LazyAbort) {
    this.method = req.method ?? 'GET';
    this.req = req;
    this.res = res;
    this.params = params;
    this.body = body;
    this.#abort = abort;
  }

  get url(): URL {
    return (this.#url ??= new URL(this.req.url ?? '/', 'http://localhost'));
  }

  get query(): Readonly<Record<string, string>> {
    return (this.#query ??= firstValues(this.url.searchParams));
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get lastEventId(): string | undefined {
    const header = headerValue(this.req.headers['last-event-id']);
    if (header !== undefined) return header;
    // Only parse the URL when there is a query at all.
    return this.req.url?.includes('?') ? (this.url.searchParams.get('lastEventId') ?? undefined) : undefined;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  status(code: number): this {
    if (!Number.isInteger(code) || code < 100 || code > 599) {
      throw invalidState(`status(code) takes an HTTP status from 100 to 599, got ${String(code)}`);
    }
    if (this.res.headersSent) throw invalidState('status() after the response started has no effect; set it before the stream opens');
    this.res.statusCode = code;
    return this;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.res.headersSent) throw invalidState('setHeader() after the response started has no effect; set it before the stream opens');
    this.res.setHeader(name, value);
    return this;
  }
}

/** Serves one request against the route table. Never throws; every failure becomes a response. */
export async function handleRequest(
  table: RouteTable<BoundRoute>,
  host: StreamHost,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const abort = new LazyAbort();
  const onClose = () => abort.abort(new EventideError('EVENTIDE_CLOSED', 'the client went away'));
  res.once('close', onClose);
  try {
    const pathname = pathOf(req.url ?? '/');
    if (pathname === undefined) throw httpError(400, 'the request URL is malformed');
    const method = (req.method ?? 'GET').toUpperCase();
    const { match, allowed } = table.match(method, pathname);
    if (!match) {
      if (allowed.length > 0) {
        const err = httpError(405, `${method} is not allowed on ${pathname}; use ${allowed.join(' or ')}`);
        respondError(res, err, { Allow: allowed.join(', ') });
        return;
      }
      throw httpError(404, `no route for ${method} ${pathname}`);
    }
    const route = match.target;
    if (route.meta.sse) {
      const refusal = host.admit(req);
      if (refusal) {
        respondError(res, refusal, { 'Retry-After': '5' });
        return;
      }
    }
    const body = await readBody(req, host.bodyLimit);
    const ctx = new HttpRequestContext(req, res, match.params, body, abort);
    const result = await route.handler.apply(route.instance, argumentsFor(route.params, ctx));
    if (!route.meta.sse) {
      if (!res.headersSent && !res.writableEnded) await respondValue(res, result, method === 'HEAD');
      return;
    }
    if (res.statusCode === 204 && (result === undefined || result === null)) {
      // [spec] A 204 tells EventSource not to reconnect.
      res.end();
      return;
    }
    const source = toSource(result);
    if (abort.aborted) {
      // The client left while the handler ran: nothing to stream to.
      source.stop();
      return;
    }
    res.off('close', onClose);
    host.open(req, res, abort, route.stream).start(source);
  } catch (err) {
    if (!(err instanceof EventideError && err.expose)) host.onError(err, req);
    respondError(res, err);
  }
}
