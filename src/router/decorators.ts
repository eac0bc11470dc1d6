// Decorators that work under both of TypeScript's decorator modes: the standard (TC39) ones and
// `experimentalDecorators`. Each decorator looks at how it was called to tell which mode is in use.
import type { StreamOptions } from '../connection/options.js';
import { EventideError } from '../errors.js';
import {
  addLegacyClassGuards,
  addLegacyMethodGuards,
  addStandardGuards,
  addLegacyParam,
  addLegacyRoute,
  addStandardRoute,
  markLegacyController,
  PREFIX_KEY,
  type Guard,
  type HttpMethod,
  type ParamKind,
  type RouteMeta,
} from './metadata.js';

/** A method decorator usable with standard decorators and with `experimentalDecorators`. */
export interface RouteDecorator {
  (value: Function, context: ClassMethodDecoratorContext): void;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): void;
}

/** A class decorator usable with standard decorators and with `experimentalDecorators`. */
export interface ControllerDecorator {
  (value: Function, context: ClassDecoratorContext): void;
  (target: Function): void;
}

/** A parameter decorator (only `experimentalDecorators` has them; see `RequestContext` otherwise). */
export type ParamDecorator = (target: object, propertyKey: string | symbol | undefined, index: number) => void;

function isStandardContext(value: unknown): value is DecoratorContext {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

function checkPath(path: unknown, decorator: string): string {
  if (typeof path !== 'string') {
    throw new EventideError('EVENTIDE_INVALID_ROUTE', `@${decorator}(path) takes a string path, got ${typeof path}`);
  }
  return path;
}

function routeDecorator(route: Omit<RouteMeta, 'key'>, name: string): RouteDecorator {
  return ((target: unknown, keyOrContext: unknown) => {
    if (isStandardContext(keyOrContext)) {
      const context = keyOrContext as ClassMethodDecoratorContext;
      if (context.kind !== 'method' || context.static) {
        throw new EventideError('EVENTIDE_INVALID_ROUTE', `@${name} decorates instance methods only`);
      }
      if (!context.metadata) {
        throw new EventideError(
          'EVENTIDE_INVALID_ROUTE',
          `@${name} found no decorator metadata: import eventide before defining controllers`,
        );
      }
      addStandardRoute(context.metadata as Record<PropertyKey, unknown>, { ...route, key: context.name });
      return;
    }
    if (typeof target === 'function') {
      throw new EventideError('EVENTIDE_INVALID_ROUTE', `@${name} decorates instance methods only, not static ones`);
    }
    addLegacyRoute((target as object).constructor, { ...route, key: keyOrContext as string | symbol });
  }) as RouteDecorator;
}

/**
 * Marks a class as a controller whose routes live under `prefix` (default: the root).
 *
 * @example
 * ```ts
 * @Controller('news')
 * class NewsController { @Sse('live') live() { return interval(1000).pipe(map((n) => ({ data: n }))); } }
 * ```
 */
export function Controller(prefix = ''): ControllerDecorator {
  checkPath(prefix, 'Controller');
  return ((target: Function, context?: unknown) => {
    if (isStandardContext(context)) {
      const metadata = (context as ClassDecoratorContext).metadata as Record<PropertyKey, unknown> | undefined;
      if (!metadata) {
        throw new EventideError('EVENTIDE_INVALID_CONTROLLER', '@Controller found no decorator metadata: import eventide before defining controllers');
      }
      metadata[PREFIX_KEY] = prefix;
      return;
    }
    markLegacyController(target, prefix);
  }) as ControllerDecorator;
}

/** Options of {@link Sse}: the HTTP method and per-route stream limits. */
export interface SseRouteOptions extends StreamOptions {
  /** The HTTP method that opens the stream. Default `GET` (what EventSource sends). */
  method?: HttpMethod;
}

/**
 * Declares a server-sent events route. The method returns an Observable, an AsyncIterable, a
 * ReadableStream, or a Promise of one; each value becomes one event.
 *
 * @example
 * ```ts
 * @Sse('sse')
 * sse(): Observable<MessageEvent> {
 *   return interval(1000).pipe(map(() => ({ data: { hello: 'world' } })));
 * }
 * ```
 */
export function Sse(path = '', options: SseRouteOptions = {}): RouteDecorator {
  checkPath(path, 'Sse');
  const { method = 'GET', ...stream } = options;
  return routeDecorator({ method, path, sse: true, stream }, 'Sse');
}

function verb(method: HttpMethod): (path?: string) => RouteDecorator {
  const name = method[0] + method.slice(1).toLowerCase();
  return (path = '') => routeDecorator({ method, path: checkPath(path, name), sse: false }, name);
}

/** An ordinary GET route: return JSON-able data, a string, bytes, `file(path)`, or nothing (204). */
export const Get = verb('GET');
/** An ordinary POST route. The parsed body is `ctx.body`. */
export const Post = verb('POST');
/** An ordinary PUT route. */
export const Put = verb('PUT');
/** An ordinary PATCH route. */
export const Patch = verb('PATCH');
/** An ordinary DELETE route. */
export const Delete = verb('DELETE');
/** An ordinary HEAD route (GET routes answer HEAD on their own). */
export const Head = verb('HEAD');
/** An ordinary OPTIONS route. */
export const Options = verb('OPTIONS');

function paramDecorator(kind: ParamKind, name?: string): ParamDecorator {
  return (target, propertyKey, index) => {
    if (propertyKey === undefined) {
      throw new EventideError('EVENTIDE_INVALID_ROUTE', 'parameter decorators go on route method parameters, not constructors');
    }
    addLegacyParam((target as object).constructor, propertyKey, { index, kind, name });
  };
}

/** Injects the whole {@link RequestContext} (experimentalDecorators). */
export const Ctx = (): ParamDecorator => paramDecorator('context');
/** Injects a path parameter, or all of them without a name (experimentalDecorators). */
export const Param = (name?: string): ParamDecorator => paramDecorator('param', name);
/** Injects a query parameter, or all of them without a name (experimentalDecorators). */
export const Query = (name?: string): ParamDecorator => paramDecorator('query', name);
/** Injects a request header (lower-case name), or all of them (experimentalDecorators). */
export const Headers = (name?: string): ParamDecorator => paramDecorator('headers', name?.toLowerCase());
/** Injects the parsed request body (experimentalDecorators). */
export const Body = (): ParamDecorator => paramDecorator('body');
/** Injects the client's last event id, or `undefined` (experimentalDecorators). */
export const LastEventId = (): ParamDecorator => paramDecorator('lastEventId');
/** Injects an AbortSignal that aborts when the client goes away (experimentalDecorators). */
export const Signal = (): ParamDecorator => paramDecorator('signal');
/** Injects node's IncomingMessage (experimentalDecorators). */
export const Req = (): ParamDecorator => paramDecorator('req');
/** Injects node's ServerResponse (experimentalDecorators). */
export const Res = (): ParamDecorator => paramDecorator('res');

/** A decorator for a controller class or a route method, in either decorator mode. */
export interface GuardsDecorator {
  (value: Function, context: ClassDecoratorContext | ClassMethodDecoratorContext): void;
  (target: Function): void;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): void;
}

/**
 * Runs guards before the routes of a controller (on the class) or before one route (on a method),
 * after the app's `guards`. Guards run in order; the first refusal answers. A guard returns
 * `false` to refuse with 403, or throws `httpError(401 | 403 | 429 | ..., message)`.
 *
 * @example
 * ```ts
 * const signedIn: Guard = (ctx) => { if (!ctx.headers.authorization) throw httpError(401, 'sign in first'); };
 *
 * @Controller('rooms')
 * @UseGuards(signedIn)
 * class Rooms { @Sse(':room') room(ctx: RequestContext) { ... } }
 * ```
 */
export function UseGuards(...guards: Guard[]): GuardsDecorator {
  for (const guard of guards) {
    if (typeof guard !== 'function') {
      throw new EventideError('EVENTIDE_INVALID_ROUTE', `@UseGuards takes guard functions (ctx) => boolean | void, got ${guard === null ? 'null' : typeof guard}`);
    }
  }
  return ((target: unknown, keyOrContext?: unknown) => {
    if (isStandardContext(keyOrContext)) {
      const context = keyOrContext as ClassDecoratorContext | ClassMethodDecoratorContext;
      if ((context.kind !== 'class' && context.kind !== 'method') || (context.kind === 'method' && context.static)) {
        throw new EventideError('EVENTIDE_INVALID_ROUTE', '@UseGuards decorates controller classes and route methods');
      }
      if (!context.metadata) {
        throw new EventideError('EVENTIDE_INVALID_ROUTE', '@UseGuards found no decorator metadata: import eventide before defining controllers');
      }
      addStandardGuards(context.metadata as Record<PropertyKey, unknown>, context.kind === 'class' ? undefined : context.name, guards);
      return;
    }
    if (keyOrContext === undefined && typeof target === 'function') {
      addLegacyClassGuards(target, guards);
      return;
    }
    if (typeof target === 'function') {
      throw new EventideError('EVENTIDE_INVALID_ROUTE', '@UseGuards decorates instance methods only, not static ones');
    }
    addLegacyMethodGuards((target as object).constructor, keyOrContext as string | symbol, guards);
  }) as GuardsDecorator;
}
