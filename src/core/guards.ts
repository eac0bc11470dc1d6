// Guards: checks that run before a route's handler, so that a refused request gets a real HTTP
// status and never a stream that opens and then fails.
import { EventideError, httpError } from '../errors.js';
import type { Guard } from '../router/metadata.js';
import type { RequestContext } from './context.js';

export type { Guard } from '../router/metadata.js';

/** Checks the app's `guards` option: an array of functions. */
export function checkGuards(where: string, value: unknown): Guard[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((g) => typeof g !== 'function')) {
    throw new EventideError(
      'EVENTIDE_INVALID_OPTION',
      `${where} option \`guards\` must be an array of functions (ctx) => boolean | void | Promise<boolean | void>`,
    );
  }
  return [...value] as Guard[];
}

/**
 * Runs `guards` in order. `true` or nothing lets the request through; `false` refuses it with 403;
 * an `httpError` thrown refuses it with its status. Any other throw, or any other return value,
 * is an error of the application (a 500, reported through `onError`).
 */
export async function runGuards(guards: readonly Guard[], ctx: RequestContext): Promise<void> {
  for (const guard of guards) {
    const verdict: unknown = await guard(ctx);
    if (verdict === true || verdict === undefined) continue;
    if (verdict === false) throw httpError(403, 'access to this route was refused');
    throw new EventideError(
      'EVENTIDE_INVALID_ROUTE',
      `guard ${guard.name || '(anonymous)'} returned ${typeof verdict}; a guard returns true, false or nothing, or throws httpError(status, message)`,
    );
  }
}
