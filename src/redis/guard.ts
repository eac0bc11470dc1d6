// Calls into code the backend does not control (a follower's onEvent and onError, which are the
// hub's or a user's) never throw back into it: a throw there must not end live delivery for every
// channel, nor reach the event loop as an uncaught exception.

/** Runs callbacks without letting their throws escape; tells stderr about the first one. */
export class CallbackGuard {
  #told = false;

  /**
   * Calls `fn(arg)`; returns what it threw (as an Error), or undefined. Nothing is thrown.
   */
  call<A>(fn: ((arg: A) => void) | undefined, arg: A): Error | undefined {
    if (fn === undefined) return undefined;
    try {
      fn(arg);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /**
   * Reports an error nobody else can be told about (an `onError` that threw, an `onEvent` that threw
   * with no `onError` to hear it, an internal failure) to stderr, once per backend: later ones are
   * counted out, not printed, so a callback that always throws cannot flood the log.
   */
  tell(what: string, err: unknown): void {
    if (this.#told) return;
    this.#told = true;
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    try {
      process.stderr.write(`eventide/redis: ${what} (reported once; later ones are not printed): ${detail}\n`);
    } catch {
      // stderr closed: nothing left to tell.
    }
  }
}
