// Controllers into a route table: each decorated method bound to its instance, with its
// parameter specs and its stream options merged once.
import { resolveStreamOptions, type StreamOptions } from '../connection/options.js';
import { EventideError } from '../errors.js';
import { readControllerMeta, type Guard, type ParamSpec, type RouteMeta } from '../router/metadata.js';
import { joinPath, RouteTable } from '../router/routes.js';

export interface BoundRoute {
  meta: RouteMeta;
  pattern: string;
  handler: (...args: unknown[]) => unknown;
  instance: object;
  params: ParamSpec[] | undefined;
  /** The stream options of an @Sse route: the app's, overridden by the route's, merged once. */
  stream: Required<StreamOptions>;
  /** The app's guards, then the controller's, then the route's. */
  guards: Guard[];
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

/** Builds the route table; throws `EVENTIDE_INVALID_CONTROLLER` / `EVENTIDE_INVALID_ROUTE` for mistakes. */
export function buildRoutes(
  controllers: readonly ControllerInput[],
  appStream: Required<StreamOptions>,
  appGuards: readonly Guard[] = [],
): RouteTable<BoundRoute> {
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
        guards: [...appGuards, ...meta.guards, ...(meta.routeGuards.get(route.key) ?? [])],
      });
    }
  }
  return table;
}

