import { EventideError } from '../errors.js';

/** The status an error answers with: its own for an EventideError, 500 for anything else. */
export function statusOf(err: unknown): number {
  return err instanceof EventideError ? err.status : 500;
}

/** What a client may learn of an error: its message only when the error is marked exposable. */
export function publicError(err: unknown): { code: string; message: string } {
  if (err instanceof EventideError && err.expose) return { code: err.code, message: err.message };
  return { code: 'EVENTIDE_INTERNAL', message: 'Internal Server Error' };
}
