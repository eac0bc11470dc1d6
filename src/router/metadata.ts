// Where decorators record routes. Both decorator flavours end up in the same ControllerMeta.
import type { StreamOptions } from '../connection/options.js';
import type { RequestContext } from '../core/context.js';

/**
 * A check that runs before a route's handler (and before a stream opens). Return `true` or
 * nothing to let the request through, `false` to refuse it with 403, or throw `httpError(status,
 * message)` to refuse it with that status (401, 403, 429, ...). Any other throw is a 500 reported
 * through `onError`. The argument is the request context; the request body is not read yet.
 */
export type Guard = (ctx: RequestContext) => boolean | void | Promise<boolean | void>;

/** HTTP methods a route can answer. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** Which part of the request a parameter decorator injects. */
export type ParamKind = 'context' | 'param' | 'query' | 'headers' | 'body' | 'lastEventId' | 'signal' | 'req' | 'res';

export interface ParamSpec {
  index: number;
  kind: ParamKind;
  name?: string;
}

export interface RouteMeta {
  /** The method's property key on the controller. */
  key: string | symbol;
  method: HttpMethod;
  path: string;
  /** True for @Sse routes. */
  sse: boolean;
  stream?: StreamOptions;
}

export interface ControllerMeta {
  prefix: string;
  routes: RouteMeta[];
  /** Parameter decorators, per method (experimentalDecorators only). */
  params: Map<string | symbol, ParamSpec[]>;
  /** Guards of the controller class (base classes' first). */
  guards: Guard[];
  /** Guards of each route method. */
  routeGuards: Map<string | symbol, Guard[]>;
}

// [TC39 decorators] `context.metadata` exists only where Symbol.metadata does; Node 20 lacks it, so
// install the well-known symbol the way TypeScript and esbuild look it up. This runs on import of
// eventide, which precedes the user's class definitions.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

export const ROUTES_KEY = Symbol('eventide.routes');
export const PREFIX_KEY = Symbol('eventide.controller');
export const CLASS_GUARDS_KEY = Symbol('eventide.guards');
export const METHOD_GUARDS_KEY = Symbol('eventide.routeGuards');

/** Routes recorded by legacy (experimental) decorators, keyed by class. */
const legacyRoutes = new WeakMap<Function, RouteMeta[]>();
const legacyParams = new WeakMap<Function, Map<string | symbol, ParamSpec[]>>();
const legacyControllers = new WeakMap<Function, string>();
const legacyClassGuards = new WeakMap<Function, Guard[]>();
const legacyMethodGuards = new WeakMap<Function, Map<string | symbol, Guard[]>>();

/** Records guards of a class (experimentalDecorators). Decorators listed first run first. */
export function addLegacyClassGuards(ctor: Function, guards: readonly Guard[]): void {
  // Decorators apply bottom-up: prepend so that the order on the page is the order of checks.
  legacyClassGuards.set(ctor, [...guards, ...(legacyClassGuards.get(ctor) ?? [])]);
}

/** Records guards of a route method (experimentalDecorators). */
export function addLegacyMethodGuards(ctor: Function, key: string | symbol, guards: readonly Guard[]): void {
  let map = legacyMethodGuards.get(ctor);
  if (!map) legacyMethodGuards.set(ctor, (map = new Map()));
  map.set(key, [...guards, ...(map.get(key) ?? [])]);
}

/** Records guards of a class or a method in standard-decorator metadata (own entries only). */
export function addStandardGuards(metadata: MetadataBag, key: string | symbol | undefined, guards: readonly Guard[]): void {
  if (key === undefined) {
    const own = Object.prototype.hasOwnProperty.call(metadata, CLASS_GUARDS_KEY) ? (metadata[CLASS_GUARDS_KEY] as Guard[]) : [];
    metadata[CLASS_GUARDS_KEY] = [...guards, ...own];
    return;
  }
  if (!Object.prototype.hasOwnProperty.call(metadata, METHOD_GUARDS_KEY)) metadata[METHOD_GUARDS_KEY] = new Map();
  const map = metadata[METHOD_GUARDS_KEY] as Map<string | symbol, Guard[]>;
  map.set(key, [...guards, ...(map.get(key) ?? [])]);
}

export function addLegacyRoute(ctor: Function, route: RouteMeta): void {
  let list = legacyRoutes.get(ctor);
  if (!list) legacyRoutes.set(ctor, (list = []));
  list.push(route);
}

export function addLegacyParam(ctor: Function, key: string | symbol, spec: ParamSpec): void {
  let map = legacyParams.get(ctor);
  if (!map) legacyParams.set(ctor, (map = new Map()));
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(spec);
}

export function markLegacyController(ctor: Function, prefix: string): void {
  legacyControllers.set(ctor, prefix);
}

type MetadataBag = Record<PropertyKey, unknown>;

function standardMetadata(ctor: Function): MetadataBag | undefined {
  const key = (Symbol as { metadata?: symbol }).metadata;
  return key ? ((ctor as unknown as Record<symbol, MetadataBag | undefined>)[key] ?? undefined) : undefined;
}

/** Reads what the decorators recorded for a class, or `undefined` if it is not a controller. */
export function readControllerMeta(ctor: Function): ControllerMeta | undefined {
  const bag = standardMetadata(ctor);
  let prefix: string | undefined = legacyControllers.get(ctor);
  if (prefix === undefined && bag && Object.prototype.hasOwnProperty.call(bag, PREFIX_KEY)) {
    prefix = bag[PREFIX_KEY] as string;
  }
  if (prefix === undefined) return undefined;
  // Routes of base classes are inherited; a subclass's own route for the same key wins.
  const routes: RouteMeta[] = [];
  const params = new Map<string | symbol, ParamSpec[]>();
  const seen = new Set<string | symbol>();
  const guards: Guard[] = [];
  const routeGuards = new Map<string | symbol, Guard[]>();
  for (let c: Function | null = ctor; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const own = [...(legacyRoutes.get(c) ?? [])];
    const cbag = standardMetadata(c);
    // Guards: a base class's run before the subclass's; a method's own guards come from the class
    // that declares the route.
    const ownClassGuards = [...(legacyClassGuards.get(c) ?? [])];
    if (cbag && Object.prototype.hasOwnProperty.call(cbag, CLASS_GUARDS_KEY)) ownClassGuards.push(...(cbag[CLASS_GUARDS_KEY] as Guard[]));
    guards.unshift(...ownClassGuards);
    const methodMaps = [legacyMethodGuards.get(c)];
    if (cbag && Object.prototype.hasOwnProperty.call(cbag, METHOD_GUARDS_KEY)) methodMaps.push(cbag[METHOD_GUARDS_KEY] as Map<string | symbol, Guard[]>);
    for (const map of methodMaps) {
      for (const [key, list] of map ?? []) if (!seen.has(key)) routeGuards.set(key, [...(routeGuards.get(key) ?? []), ...list]);
    }
    if (cbag && Object.prototype.hasOwnProperty.call(cbag, ROUTES_KEY)) own.push(...(cbag[ROUTES_KEY] as RouteMeta[]));
    const ownKeys = new Set<string | symbol>();
    for (const route of own) {
      if (seen.has(route.key)) continue;
      ownKeys.add(route.key);
      routes.push(route);
    }
    for (const key of ownKeys) seen.add(key);
    for (const [key, specs] of legacyParams.get(c) ?? []) if (!params.has(key)) params.set(key, specs);
  }
  return { prefix, routes, params, guards, routeGuards };
}

/** Appends a route to a standard-decorator metadata object (own list, not the inherited one). */
export function addStandardRoute(metadata: MetadataBag, route: RouteMeta): void {
  if (!Object.prototype.hasOwnProperty.call(metadata, ROUTES_KEY)) metadata[ROUTES_KEY] = [];
  (metadata[ROUTES_KEY] as RouteMeta[]).push(route);
}
