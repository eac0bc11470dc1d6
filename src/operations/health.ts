// Liveness and readiness. Live: the process answers. Ready: it is neither draining nor closing and
// every readiness check passes (a check fails when it throws, rejects, returns false, or takes
// longer than its timeout).
import { EventideError } from '../errors.js';

/** A readiness check: passes unless it throws, rejects, or returns `false`. */
export type ReadinessCheck = () => unknown;

/** The answer of `app.health()`. */
export interface HealthReport {
  /** `ok` (ready), `draining`, `closing`, or `unavailable` (a check failed). */
  readonly status: 'ok' | 'draining' | 'closing' | 'unavailable';
  /** Always true while the app answers: the liveness probe. */
  readonly live: true;
  /** Whether new streams should be sent here: the readiness probe. */
  readonly ready: boolean;
  /** Each named check's outcome; `error` says why it failed. */
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly error?: string }>>;
}

/** How long a readiness check may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 2000;

export function checkReadiness(where: string, value: unknown): Readonly<Record<string, ReadinessCheck>> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `${where} option \`readiness\` must be an object of named checks like { redis: () => backend.ready() }`);
  }
  for (const [name, check] of Object.entries(value)) {
    if (typeof check !== 'function') {
      throw new EventideError('EVENTIDE_INVALID_OPTION', `${where} option \`readiness.${name}\` must be a function that throws, rejects or returns false when not ready`);
    }
  }
  return Object.freeze({ ...(value as Record<string, ReadinessCheck>) });
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const outcome = await Promise.race([
      Promise.resolve().then(check),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return outcome === false ? { ok: false, error: 'the check returned false' } : { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check (concurrently) and builds the report. */
export async function healthReport(
  state: { draining: boolean; closing: boolean },
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<HealthReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name]!, timeoutMs)));
  const out: Record<string, { ok: boolean; error?: string }> = {};
  names.forEach((name, i) => (out[name] = results[i]!));
  const failed = results.some((r) => !r.ok);
  const status = state.closing ? 'closing' : state.draining ? 'draining' : failed ? 'unavailable' : 'ok';
  return { status, live: true, ready: status === 'ok', checks: out };
}
