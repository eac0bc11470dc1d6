// The route table: compiled path patterns, matched segment by segment.
import { EventideError } from '../errors.js';
import type { HttpMethod } from './metadata.js';

type Segment = { literal: string } | { param: string };

export interface CompiledRoute<T> {
  method: HttpMethod;
  pattern: string;
  segments: Segment[];
  target: T;
}

export interface RouteMatch<T> {
  target: T;
  params: Record<string, string>;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

/** Joins a controller prefix and a route path into one normalized pattern, e.g. `/news/:id`. */
export function joinPath(prefix: string, path: string): string {
  return '/' + [...splitPath(prefix), ...splitPath(path)].join('/');
}

function compile(pattern: string): Segment[] {
  const names = new Set<string>();
  return splitPath(pattern).map((part) => {
    if (!part.startsWith(':')) return { literal: part };
    const name = part.slice(1);
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
      throw new EventideError('EVENTIDE_INVALID_ROUTE', `route ${pattern}: parameter ":${name}" must be a name like :id`);
    }
    if (names.has(name)) throw new EventideError('EVENTIDE_INVALID_ROUTE', `route ${pattern}: parameter ":${name}" appears twice`);
    names.add(name);
    return { param: name };
  });
}

/** Literal segments outrank parameters, so `/news/latest` wins over `/news/:id`. */
function specificity(segments: Segment[]): string {
  return segments.map((s) => ('literal' in s ? '0' : '1')).join('');
}

export class RouteTable<T> {
  readonly #routes: CompiledRoute<T>[] = [];

  add(method: HttpMethod, pattern: string, target: T): void {
    const segments = compile(pattern);
    const shape = segments.map((s) => ('literal' in s ? s.literal : ':')).join('/');
    for (const existing of this.#routes) {
      const existingShape = existing.segments.map((s) => ('literal' in s ? s.literal : ':')).join('/');
      if (existing.method === method && existingShape === shape) {
        throw new EventideError(
          'EVENTIDE_INVALID_ROUTE',
          `two routes answer ${method} ${pattern} (the other is ${existing.pattern}); give one of them another path`,
        );
      }
    }
    this.#routes.push({ method, pattern, segments, target });
    this.#routes.sort((a, b) => (specificity(a.segments) < specificity(b.segments) ? -1 : 1));
  }

  /** Every route, most specific first. */
  list(): readonly CompiledRoute<T>[] {
    return this.#routes;
  }

  /**
   * Finds the route for a method and a path. `allowed` lists the methods the path answers when
   * none of them is `method` (for a 405).
   */
  match(method: string, pathname: string): { match?: RouteMatch<T>; allowed: HttpMethod[] } {
    let parts: string[];
    try {
      parts = splitPath(pathname).map((p) => decodeURIComponent(p));
    } catch {
      return { allowed: [] };
    }
    const allowed: HttpMethod[] = [];
    let headFallback: RouteMatch<T> | undefined;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { match: { target: route.target, params }, allowed };
      if (method === 'HEAD' && route.method === 'GET') headFallback ??= { target: route.target, params };
      if (!allowed.includes(route.method)) allowed.push(route.method);
    }
    return headFallback ? { match: headFallback, allowed } : { allowed };
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if ('literal' in segment) {
      if (segment.literal !== parts[i]) return undefined;
    } else {
      // A decoded parameter never carries a path separator or NUL: `..%2F..%2Fetc` is no match.
      const value = parts[i];
      if (value.includes('/') || value.includes('\\') || value.includes('\0')) return undefined;
      params[segment.param] = value;
    }
  }
  return params;
}
