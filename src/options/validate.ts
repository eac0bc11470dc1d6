// One validator for every option of every component: the same rules and the same messages,
// checked once at start-up, naming the component and the option.
import { EventideError } from '../errors.js';

/** Largest delay Node's timers honour: longer ones silently become 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How one numeric option is checked. */
export interface NumberRule {
  /** Smallest allowed value (inclusive). Default 0. */
  min?: number;
  /** Largest allowed value (inclusive). Default `Number.MAX_SAFE_INTEGER`. */
  max?: number;
  /** Only whole numbers. Default true. */
  integer?: boolean;
  /** `0` is allowed as "off" even when `min` is higher. */
  zeroDisables?: boolean;
  /** Used when the value is `undefined`. */
  fallback: number;
}

function invalid(where: string, name: string, expected: string, value: unknown): EventideError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new EventideError('EVENTIDE_INVALID_OPTION', `${where} option \`${name}\` must be ${expected}, got ${shown}`);
}

function describeRange(rule: NumberRule): string {
  const min = rule.min ?? 0;
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  const kind = rule.integer === false ? 'a number' : 'an integer';
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  return rule.zeroDisables && min > 0 ? `0 (off) or ${kind} ${range}` : `${kind} ${range}`;
}

/**
 * Checks a numeric option. Throws `EVENTIDE_INVALID_OPTION` naming `where` and `name`.
 *
 * @example
 * ```ts
 * const heartbeatMs = numberOption('createApp', 'heartbeatMs', options.heartbeatMs, timerRule(15_000));
 * ```
 */
export function numberOption(where: string, name: string, value: unknown, rule: NumberRule): number {
  if (value === undefined) return rule.fallback;
  const min = rule.min ?? 0;
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.integer === false || Number.isInteger(value)) &&
    ((value >= min && value <= max) || (rule.zeroDisables === true && value === 0));
  if (!ok) throw invalid(where, name, describeRange(rule), value);
  return value as number;
}

/** A duration in milliseconds used as a timer: 0 (off) or 1 ms up to Node's timer cap (about 24.8 days). */
export function timerRule(fallback: number, options: { zeroDisables?: boolean } = { zeroDisables: true }): NumberRule {
  return { min: 1, max: MAX_TIMER_MS, zeroDisables: options.zeroDisables ?? true, fallback };
}

/** A count or size: a non-negative integer; `0` meaning "no limit" where the option says so. */
export function countRule(fallback: number, min = 0): NumberRule {
  return { min, fallback };
}

/** Checks a boolean option. */
export function booleanOption(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(where, name, 'true or false', value);
  return value;
}

/** Checks a function option (a callback). */
export function functionOption<F extends (...args: never[]) => unknown>(where: string, name: string, value: unknown, fallback: F): F;
export function functionOption<F extends (...args: never[]) => unknown>(where: string, name: string, value: unknown): F | undefined;
export function functionOption<F extends (...args: never[]) => unknown>(where: string, name: string, value: unknown, fallback?: F): F | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw invalid(where, name, 'a function', value);
  return value as F;
}

/** Checks that `options` is an object (or undefined) and has no keys outside `known`: a typo is an error, not a silent default. */
export function checkOptionsObject(where: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `${where} takes an options object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new EventideError(
        'EVENTIDE_INVALID_OPTION',
        `${where} has no option \`${key}\`; known options: ${known.join(', ')}`,
      );
    }
  }
  return options as Record<string, unknown>;
}
