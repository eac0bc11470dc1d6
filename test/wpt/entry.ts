// The browser bundle of the WPT port: puts eventide's EventSource in place of the page's own when
// asked, and runs one ported test file. Bundled by esbuild (see server.ts).
import { EventSource as EventideEventSource } from '../../src/client/index.js';
import { cases } from './cases.js';
import { extraCases } from './extra-cases.js';
import { finishWhenSettled } from './harness.js';

type Impl = 'native' | 'eventide';

function impl(): Impl {
  return new URLSearchParams(location.search).get('impl') === 'eventide' ? 'eventide' : 'native';
}

/** Puts eventide's client in place of `window.EventSource`, as a page would with a polyfill. */
function install(): void {
  if (impl() === 'eventide') {
    Object.defineProperty(globalThis, 'EventSource', { value: EventideEventSource, writable: true, configurable: true, enumerable: false });
  }
}

function run(name: string): void {
  const body = cases[name] ?? extraCases[name];
  if (!body) throw new Error(`no ported test file ${name}`);
  finishWhenSettled(8000);
  body(impl());
}

install();
(globalThis as Record<string, unknown>).wpt = { run };
