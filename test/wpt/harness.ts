// A small test harness for the browser page, in the manner of web-platform-tests' testharness.js:
// synchronous `check()` tests and asynchronous `later()` tests with steps, whose first failing step
// fails the test. The page reports every result in `window.wptResults` once all tests are settled.

export type Status = 'PASS' | 'FAIL' | 'TIMEOUT';
export interface Result {
  name: string;
  status: Status;
  message?: string;
  /** What the test observed, for comparing the two implementations (see `AsyncTest.note`). */
  note?: string;
}

const results: Result[] = [];
const open = new Set<AsyncTest>();
let loaded = false;
let reported = false;

class AssertionFailure extends Error {}

function fail(message: string): never {
  throw new AssertionFailure(message);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Assertions, named by what they check. */
export const expect = {
  equal(actual: unknown, expected: unknown, what = ''): void {
    if (!Object.is(actual, expected)) fail(`${what} expected ${show(expected)}, got ${show(actual)}`.trim());
  },
  ok(value: unknown, what = 'expected true'): void {
    if (value !== true) fail(`${what} (got ${show(value)})`);
  },
  notOk(value: unknown, what = 'expected false'): void {
    if (value !== false) fail(`${what} (got ${show(value)})`);
  },
  matches(value: string, pattern: RegExp, what = ''): void {
    if (!pattern.test(value)) fail(`${what} ${show(value)} does not match ${pattern}`.trim());
  },
  ownProperty(object: object, name: string): void {
    if (!Object.prototype.hasOwnProperty.call(object, name)) fail(`no own property ${name}`);
  },
  throwsDom(name: string, action: () => unknown): void {
    try {
      action();
    } catch (error) {
      if (error instanceof DOMException && error.name === name) return;
      fail(`expected a ${name} DOMException, got ${String(error)}`);
    }
    fail(`expected a ${name} DOMException, nothing was thrown`);
  },
  never(what: string): never {
    fail(`should not happen: ${what}`);
  },
};

function record(name: string, status: Status, message?: string, note?: string): void {
  const result: Result = { name, status };
  if (message !== undefined) result.message = message;
  if (note !== undefined) result.note = note;
  results.push(result);
}

/** A test that runs at once; it passes when `body` returns without throwing. */
export function check(name: string, body: () => void): void {
  try {
    body();
    record(name, 'PASS');
  } catch (error) {
    record(name, 'FAIL', String(error instanceof Error ? error.message : error));
  }
}

/** An asynchronous test: it passes when `done()` is called before any step failed. */
export class AsyncTest {
  readonly name: string;
  #settled = false;
  #cleanups: (() => void)[] = [];
  #note: string | undefined;

  constructor(name: string) {
    this.name = name;
    open.add(this);
  }

  /** Runs `body` as a step of this test: a throw fails the test. */
  step<A extends unknown[], R>(body: (...args: A) => R, ...args: A): R | undefined {
    if (this.#settled) return undefined;
    try {
      return body(...args);
    } catch (error) {
      this.#settle('FAIL', String(error instanceof Error ? error.message : error));
      return undefined;
    }
  }

  /** `body` wrapped as a step, for use as an event handler. */
  stepFn<A extends unknown[]>(body: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      this.step(body, ...args);
    };
  }

  /** Like `stepFn`, and the test is done after the step passes. */
  doneFn<A extends unknown[]>(body: (...args: A) => void = () => {}): (...args: A) => void {
    return (...args: A) => {
      this.step(body, ...args);
      this.done();
    };
  }

  /** A handler that fails the test when called. */
  never(what: string): () => void {
    return () => this.step(() => expect.never(what));
  }

  /** Runs `body` as a step after `ms` milliseconds. */
  after(ms: number, body: () => void): void {
    setTimeout(() => this.step(body), ms);
  }

  /** Records what the test observed with its result. */
  note(text: string): void {
    this.#note = text;
  }

  cleanup(action: () => void): void {
    this.#cleanups.push(action);
  }

  done(): void {
    this.#settle('PASS');
  }

  /** Called by the page when its time is up. */
  timeout(): void {
    this.#settle('TIMEOUT', 'the test did not finish in time');
  }

  #settle(status: Status, message?: string): void {
    if (this.#settled) return;
    this.#settled = true;
    open.delete(this);
    for (const action of this.#cleanups) {
      try {
        action();
      } catch {
        // a cleanup failure does not change the result
      }
    }
    record(this.name, status, message, this.#note);
    queueMicrotask(maybeReport);
  }
}

/** Starts an asynchronous test; `body` runs at once as its first step. */
export function later(name: string, body: (t: AsyncTest) => void): AsyncTest {
  const t = new AsyncTest(name);
  t.step(body, t);
  return t;
}

function maybeReport(): void {
  if (reported || !loaded || open.size > 0) return;
  reported = true;
  (globalThis as { wptResults?: Result[] }).wptResults = results.slice();
}

/** Called once the page's tests are defined: reports after `load` and after every test settled. */
export function finishWhenSettled(timeoutMs: number): void {
  addEventListener('load', () => {
    loaded = true;
    queueMicrotask(maybeReport);
  });
  setTimeout(() => {
    for (const t of [...open]) t.timeout();
    loaded = true;
    maybeReport();
  }, timeoutMs);
}
