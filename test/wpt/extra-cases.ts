// Cases beyond the WPT port, in the same page and harness: the exact request headers (compared
// between Chromium's EventSource and eventide's by wpt.test.ts), cross-origin failures the WPT files
// do not cover, and the preflight that eventide's extra request headers bring.
import { expect, later } from './harness.js';

type Impl = 'native' | 'eventide';

const www2 = () => location.href.replace('://', '://www2.').replace(/\/[^/]*$/, '/');
const eleve = () => location.origin.replace('://', '://xn--lve-6lad.');

function headersTest(name: string, base: string, init?: EventSourceInit): void {
  later(name, (t) => {
    const source = new EventSource(`${base}/eventide/echo-headers?t=${Date.now()}`, init);
    const seen: unknown[] = [];
    source.onmessage = t.stepFn((e: MessageEvent) => {
      seen.push(JSON.parse(e.data));
      if (seen.length === 2) {
        source.close();
        t.note(JSON.stringify(seen));
        t.done();
      }
    });
  });
}

export const extraCases: Record<string, (impl: Impl) => void> = {
  'eventide-extra/request-headers'() {
    headersTest('eventide-extra/request-headers: same origin, first request and reconnect with Last-Event-ID', location.origin);
    headersTest('eventide-extra/request-headers: cross-origin, first request and reconnect with Last-Event-ID', www2().replace(/\/eventsource\/$/, ''));
    headersTest('eventide-extra/request-headers: cross-origin with credentials', www2().replace(/\/eventsource\/$/, ''), { withCredentials: true });
  },

  'eventide-extra/cross-origin-failures'() {
    later('eventide-extra/cross-origin-failures: a redirect to an origin that refuses fails the connection', (t) => {
      const target = `${eleve()}/eventsource/resources/message.py`;
      const source = new EventSource(`${www2()}resources/cors.py?run=redirect&location=${encodeURIComponent(target)}`);
      source.onopen = t.never('an open event');
      source.onmessage = t.never('a message');
      source.onerror = t.stepFn(() => {
        expect.equal(source.readyState, source.CLOSED, 'readyState');
        t.after(300, () => t.done()); // and nothing more: no reconnect
      });
    });
    later('eventide-extra/cross-origin-failures: a cross-origin network error reconnects', (t) => {
      const closed = new URLSearchParams(location.search).get('closed');
      const source = new EventSource(`http://www2.wpt.test:${closed}/stream`);
      source.onerror = t.stepFn(() => {
        expect.equal(source.readyState, source.CONNECTING, 'readyState');
        source.close();
        t.done();
      });
    });
  },

  'eventide-extra/preflight'(impl) {
    if (impl === 'native') return; // the browser's EventSource takes no request headers
    const Eventide = EventSource as unknown as new (url: string, init: object) => EventSource;
    later('eventide-extra/preflight: an extra header the server does not allow fails the connection', (t) => {
      const source = new Eventide(`${www2()}resources/cors.py?run=message`, { headers: { 'x-token': 'a' } });
      source.onopen = t.never('an open event');
      source.onerror = t.stepFn(() => {
        expect.equal(source.readyState, source.CLOSED, 'readyState');
        source.close();
        t.done();
      });
    });
    later('eventide-extra/preflight: an extra header the preflight allows opens', (t) => {
      const source = new Eventide(`${www2().replace(/\/eventsource\/$/, '')}/eventide/echo-headers?t=${Date.now()}`, { headers: { 'x-token': 'a' } });
      source.onmessage = t.stepFn((e: MessageEvent) => {
        const headers = JSON.parse(e.data) as [string, string][];
        expect.ok(headers.some(([name, value]) => name === 'x-token' && value === 'a'), 'x-token reached the server');
        source.close();
        t.done();
      });
    });
  },
};
