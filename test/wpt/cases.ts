// The page-level tests of the web-platform-tests `eventsource/` directory, ported one for one:
// the same streams, the same checks, each test named `<wpt file>: <what it checks>`. They run in a
// page whose `EventSource` is Chromium's own or eventide's (see entry.ts), against handlers.ts.
import { check, expect, later, type AsyncTest } from './harness.js';

type Impl = 'native' | 'eventide';
type Case = (impl: Impl) => void;

/** The directory of the page, on another host name of the same site (cookies still flow). */
function otherHost(prefix: string): string {
  return location.href.replace('://', `://${prefix}.`).replace(/\/[^/]*$/, '/');
}
/** The ASCII origin of `otherHost('élève')`. */
const punycodeOrigin = () => location.origin.replace('://', '://xn--lve-6lad.');

function message(query: string): string {
  return `resources/message.py?${query}`;
}

/** The open event is a plain Event: no data, does not bubble, cannot be cancelled. */
function plainEvent(e: Event): void {
  expect.notOk(Object.prototype.hasOwnProperty.call(e, 'data'), 'own data property');
  expect.notOk(e.bubbles, 'bubbles');
  expect.notOk(e.cancelable, 'cancelable');
}

function onOpenChecks(t: AsyncTest, source: EventSource): void {
  source.onopen = t.stepFn((e: Event) => {
    expect.equal(source.readyState, source.OPEN, 'readyState');
    plainEvent(e);
    source.close();
    t.done();
  });
}

/** One message event whose data is `expected`, then done. */
function dataIs(name: string, url: string, expected: string): void {
  later(name, (t) => {
    const source = new EventSource(url);
    source.onmessage = t.stepFn((e: MessageEvent) => {
      expect.equal(e.data, expected, 'data');
      source.close();
      t.done();
    });
  });
}

/** Messages in order; the test is done after the last one. */
function dataSequence(name: string, url: string, expected: string[]): void {
  later(name, (t) => {
    const source = new EventSource(url);
    let index = 0;
    source.onmessage = t.stepFn((e: MessageEvent) => {
      if (index >= expected.length) expect.never(`message ${index}: ${JSON.stringify(e.data)}`);
      expect.equal(e.data, expected[index], `message ${index}`);
      index += 1;
      if (index === expected.length) {
        source.close();
        t.done();
      }
    });
  });
}

/** The connection fails for good: one plain error event with readyState CLOSED, no message. */
function failsFor(name: string, url: string, options?: EventSourceInit, strictEvent = false): void {
  later(name, (t) => {
    const source = new EventSource(url, options);
    source.onmessage = t.never('a message');
    source.onopen = t.never('an open event');
    source.onerror = t.stepFn((e: Event) => {
      expect.equal(source.readyState, source.CLOSED, 'readyState');
      expect.notOk(Object.prototype.hasOwnProperty.call(e, 'data'), 'own data property');
      if (strictEvent) plainEvent(e);
      source.close();
      t.done();
    });
  });
}

/** The second open comes `ms` after the first, within 10 %. */
function reconnectsAfter(name: string, url: string, ms: number): void {
  later(name, (t) => {
    const source = new EventSource(url);
    let first = 0;
    source.onopen = t.stepFn(() => {
      if (first === 0) {
        first = performance.now();
        return;
      }
      const waited = performance.now() - first;
      expect.ok(Math.abs(1 - waited / ms) < 0.1, `reconnected after ${waited.toFixed(0)} ms, not about ${ms}`);
      source.close();
      t.done();
    });
  });
}

export const cases: Record<string, Case> = {
  'event-data'() {
    dataSequence('event-data: lines, comments and an empty data field over several chunks', 'resources/message2.py', ['msg\nmsg', '', 'end']);
  },

  'eventsource-close'() {
    later('eventsource-close: readyState CONNECTING, OPEN, then CLOSED at once on close()', (t) => {
      const source = new EventSource('resources/message.py');
      expect.equal(source.readyState, source.CONNECTING, 'before the connection');
      source.onopen = t.stepFn(() => {
        expect.equal(source.readyState, source.OPEN, 'on open');
        source.close();
        expect.equal(source.readyState, source.CLOSED, 'after close()');
        t.done();
      });
    });
    later('eventsource-close: error events over two reconnects, the last (204) CLOSED', (t) => {
      let count = 0;
      let reconnected = false;
      const source = new EventSource(`resources/reconnect-fail.py?id=${Date.now()}`);
      source.onerror = t.stepFn((e: Event) => {
        expect.equal(e.type, 'error');
        if (count === 1) {
          expect.equal(source.readyState, source.CONNECTING, 'after the first stream');
          reconnected = true;
        } else if (count === 2) {
          expect.equal(source.readyState, source.CONNECTING, 'after the second stream');
          count += 1;
        } else if (count === 3) {
          expect.equal(source.readyState, source.CLOSED, 'after the 204');
          t.after(100, () => t.done()); // no further event may come
        } else {
          expect.never(`an error event after ${count} messages`);
        }
      });
      source.onmessage = t.stepFn((e: MessageEvent) => {
        if (count === 0) {
          expect.notOk(reconnected, 'reconnected before the first message');
          expect.equal(e.data, 'opened', 'first data');
        } else if (count === 1) {
          expect.ok(reconnected, 'reconnected before the second message');
          expect.equal(e.data, 'reconnected', 'second data');
        } else {
          expect.never(`message number ${count}`);
        }
        count += 1;
      });
    });
  },

  'eventsource-constructor-document-domain'() {
    later('eventsource-constructor-document-domain: opens after document.domain is set', (t) => {
      // eslint-disable-next-line no-self-assign
      document.domain = document.domain;
      onOpenChecks(t, new EventSource('resources/message.py'));
    });
  },

  'eventsource-constructor-empty-url'() {
    check('eventsource-constructor-empty-url: the empty string resolves to the document URL', () => {
      const source = new EventSource('');
      expect.equal(source.url, document.documentURI, 'url');
      source.close();
    });
  },

  'eventsource-constructor-non-same-origin'() {
    for (const url of ['ftp://example.not/', 'about:blank', 'mailto:whatwg@awesome.example', "javascript:alert('FAIL')"]) {
      failsFor(`eventsource-constructor-non-same-origin: ${url} fails the connection`, url);
    }
  },

  'eventsource-constructor-stringify'() {
    later('eventsource-constructor-stringify: an object is turned into its string', (t) => {
      const source = new EventSource({ toString: () => 'resources/message.py' } as unknown as string);
      source.onopen = t.stepFn((e: Event) => {
        expect.notOk(Object.prototype.hasOwnProperty.call(e, 'data'), 'own data property');
        source.close();
        t.done();
      });
    });
    for (const value of [1, null, undefined]) {
      check(`eventsource-constructor-stringify: ${String(value)}`, () => {
        const source = new EventSource(value as unknown as string);
        expect.matches(source.url, new RegExp(`/${String(value)}$`), 'url');
        source.close();
      });
    }
  },

  'eventsource-constructor-url-bogus'() {
    check('eventsource-constructor-url-bogus: an invalid URL throws SyntaxError', () => {
      expect.throwsDom('SyntaxError', () => new EventSource('http://this is invalid/'));
    });
  },

  'eventsource-constructor-url-multi-window'(impl) {
    const t = later('eventsource-constructor-url-multi-window: a URL resolves against the frame of the constructor', () => {});
    (window as unknown as { init: () => void }).init = () => {
      t.step(() => {
        const Frame = (frames[0] as unknown as { EventSource: typeof EventSource }).EventSource;
        const source = new Frame('message.php');
        onOpenChecks(t, source);
        source.onerror = t.stepFn(() => {
          source.close();
          expect.never('an error event');
        });
      });
    };
    const frame = document.createElement('iframe');
    frame.src = `resources/init.htm?impl=${impl}`;
    document.body.append(frame);
  },

  'eventsource-cross-origin'() {
    const crossdomain = otherHost('élève');
    const allowed: [string, string][] = [
      ['basic use', 'resources/cors.py?run=message'],
      ['redirect use', 'resources/cors.py?run=redirect&location=/eventsource/resources/cors.py?run=message'],
      ['redirect use recon', 'resources/cors.py?run=status-reconnect&status=200'],
    ];
    for (const [title, path] of allowed) {
      later(`eventsource-cross-origin: ${title} (withCredentials)`, (t) => {
        const source = new EventSource(crossdomain + path, { withCredentials: true });
        source.onmessage = t.stepFn((e: MessageEvent) => {
          expect.equal(e.data, 'data', 'data');
          expect.equal(e.origin, punycodeOrigin(), 'origin');
          source.close();
          t.done();
        });
      });
    }
    failsFor('eventsource-cross-origin: Access-Control-Allow-Origin of another origin fails', `${crossdomain}resources/cors.py?run=message&origin=http://example.org`);
    failsFor("eventsource-cross-origin: an empty Access-Control-Allow-Origin fails", `${crossdomain}resources/cors.py?run=message&origin=`);
    failsFor('eventsource-cross-origin: no Access-Control-Allow-Origin fails', `${crossdomain}resources/message.py`);
  },

  'eventsource-cross-origin-preflight'() {
    const crossdomain = otherHost('élève');
    const fixtures: [string, string][] = [
      ['a safe Last-Event-ID is sent without a preflight', 'safe'],
      ['a Last-Event-ID over 128 bytes is preflighted', 'long'],
      ['a Last-Event-ID with CORS-unsafe bytes is preflighted', 'unsafe'],
    ];
    for (const [title, fixture] of fixtures) {
      later(`eventsource-cross-origin-preflight: ${title}`, (t) => {
        const token = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
        const source = new EventSource(`${crossdomain}resources/cors-unsafe-last-event-id.py?fixture=${fixture}&token=${token}`);
        t.cleanup(() => source.close());
        source.addEventListener('message', t.stepFn((e: MessageEvent) => expect.equal(e.data, fixture, 'first data')));
        source.addEventListener('success', t.doneFn());
        source.addEventListener('failure', (e) => {
          t.step(() => expect.never(`a failure event: ${(e as MessageEvent).data}`));
        });
      });
    }
  },

  'eventsource-eventtarget'() {
    later('eventsource-eventtarget: addEventListener("message") receives the data, this is the source', (t) => {
      const source = new EventSource('resources/message.py');
      source.addEventListener(
        'message',
        function (this: EventSource, e: MessageEvent) {
          t.step(() => {
            expect.equal(e.data, 'data', 'data');
            expect.equal(this, source, 'this');
            this.close();
          });
          t.done();
        },
        false,
      );
    });
  },

  'eventsource-onmessage'() {
    dataIs('eventsource-onmessage: onmessage receives the data', 'resources/message.py', 'data');
  },

  'eventsource-onmessage-realm'(impl) {
    const t = later('eventsource-onmessage-realm: the MessageEvent comes from the realm of the EventSource', () => {});
    const frame = document.createElement('iframe');
    frame.src = `resources/eventsource-onmessage-realm.htm?impl=${impl}`;
    document.body.append(frame);
    addEventListener('load', () => {
      t.step(() => {
        const realm = frames[0] as unknown as { EventSource: typeof EventSource; MessageEvent: typeof MessageEvent };
        const source = new realm.EventSource('message.py');
        t.cleanup(() => source.close());
        source.onmessage = t.doneFn((e: MessageEvent) => expect.equal(e.constructor, realm.MessageEvent, 'constructor'));
      });
    });
  },

  'eventsource-onmessage-trusted'() {
    later('eventsource-onmessage-trusted: message events are trusted', (t) => {
      const source = new EventSource('resources/message.py');
      source.onmessage = t.doneFn((e: MessageEvent) => {
        source.close();
        expect.equal(e.isTrusted, true, 'isTrusted');
      });
    });
  },

  'eventsource-onopen'() {
    later('eventsource-onopen: open is a plain event fired with readyState OPEN', (t) => onOpenChecks(t, new EventSource('resources/message.py')));
  },

  'eventsource-prototype'() {
    check('eventsource-prototype: the prototype is shared and EventSource is a property of window', () => {
      (EventSource.prototype as unknown as { isShared: () => boolean }).isShared = () => true;
      const source = new EventSource('resources/message.py');
      expect.ok((source as unknown as { isShared: () => boolean }).isShared(), 'method from the prototype');
      expect.ownProperty(window, 'EventSource');
      source.close();
    });
  },

  'eventsource-readyState'() {
    check('eventsource-readyState: CONNECTING before the connection', () => {
      const source = new EventSource('resources/message.py');
      expect.equal(source.readyState, source.CONNECTING, 'readyState');
      source.close();
    });
    later('eventsource-readyState: OPEN when open fires', (t) => {
      const source = new EventSource('resources/message.py');
      source.onopen = t.stepFn(() => {
        expect.equal(source.readyState, source.OPEN, 'readyState');
        source.close();
        t.done();
      });
    });
    check('eventsource-readyState: CLOSED after close()', () => {
      const source = new EventSource('resources/message.py');
      source.close();
      expect.equal(source.readyState, source.CLOSED, 'readyState');
    });
  },

  'eventsource-reconnect'() {
    dataIs('eventsource-reconnect: a stream that ends with retry: 2 reconnects and gets the data', 'resources/status-reconnect.py?status=200', 'data');
    later('eventsource-reconnect: the error event of a reconnect comes between the two streams', (t) => {
      let opened = false;
      let reconnected = false;
      const source = new EventSource('resources/status-reconnect.py?status=200&ok_first&id=2');
      source.onerror = t.stepFn((e: Event) => {
        expect.equal(e.type, 'error');
        expect.equal(source.readyState, source.CONNECTING, 'readyState');
        expect.ok(opened, 'opened before the error');
        reconnected = true;
      });
      source.onmessage = t.stepFn((e: MessageEvent) => {
        if (!opened) {
          opened = true;
          expect.notOk(reconnected, 'reconnected before the first message');
          expect.equal(e.data, 'ok', 'first data');
        } else {
          expect.ok(reconnected, 'an error event before the second message');
          expect.equal(e.data, 'data', 'second data');
          source.close();
          t.done();
        }
      });
    });
  },

  'eventsource-request-cancellation'() {
    const t = later('eventsource-request-cancellation: window.stop() fails a pending connection', () => {});
    addEventListener('load', () => {
      t.step(() => {
        const source = new EventSource(message(`sleep=1000&message=${encodeURIComponent('retry:1000\ndata:abc\n\n')}`));
        source.onerror = t.stepFn(() => {
          expect.equal(source.readyState, EventSource.CLOSED, 'on error');
          t.after(1000, () => {
            expect.equal(source.readyState, EventSource.CLOSED, 'a second later');
            t.done();
          });
        });
        t.after(0, () => {
          window.stop();
          source.onopen = t.never('an open event after window.stop()');
          source.onmessage = t.never('a message after window.stop()');
        });
      });
    });
  },

  'eventsource-url'() {
    check('eventsource-url: url is the resolved URL', () => {
      const source = new EventSource('resources/message.py');
      expect.equal(source.url.slice(-'resources/message.py'.length), 'resources/message.py', 'url end');
      source.close();
    });
  },

  'format-bom'() {
    dataSequence('format-bom: only a leading BOM is stripped', message('message=%EF%BB%BFdata%3A1%0A%0A%EF%BB%BFdata%3A2%0A%0Adata%3A3'), ['1', '3']);
  },

  'format-bom-2'() {
    dataSequence('format-bom-2: of two leading BOMs only the first is stripped', message('message=%EF%BB%BF%EF%BB%BFdata%3A1%0A%0Adata%3A2%0A%0Adata%3A3'), ['2', '3']);
  },

  'format-comments'() {
    const long = 'x'.repeat(2048);
    const text = `data:1\r:\0\n:\r\ndata:2\n:${long}\rdata:3\n:data:fail\r:${long}\ndata:4\n`;
    dataIs('format-comments: comments among data lines, every line ending', message(`message=${encodeURI(text)}&newline=none`), '1\n2\n3\n4');
  },

  'format-data-before-final-empty-line'() {
    later('format-data-before-final-empty-line: an unfinished last event is dropped, its id too', (t) => {
      const source = new EventSource(message(`newline=none&message=${encodeURIComponent('retry:1000\ndata:test1\n\nid:test\ndata:test2')}`));
      let count = 0;
      source.onmessage = (e: MessageEvent) => {
        count += 1;
        if (count !== 2) return;
        t.step(() => {
          expect.equal(e.lastEventId, '', 'lastEventId');
          expect.equal(e.data, 'test1', 'data');
          source.close();
        });
        t.done();
      };
    });
  },

  'format-field-data'() {
    dataSequence('format-field-data: empty data, bare data lines, data', message('message=data%3A%0A%0Adata%0Adata%0A%0Adata%3Atest'), ['', '\n', 'test']);
  },

  'format-field-event'() {
    later('format-field-event: a named event reaches its listener, not onmessage', (t) => {
      let named = false;
      const source = new EventSource(message('message=event%3Atest%0Adata%3Ax%0A%0Adata%3Ax'));
      source.addEventListener('test', t.stepFn(() => (named = true)));
      source.onmessage = t.doneFn(() => {
        expect.ok(named, 'the named event came first');
        source.close();
      });
    });
  },

  'format-field-event-empty'() {
    dataIs('format-field-event-empty: an empty event name means message', message('message=event%3A%20%0Adata%3Adata'), 'data');
  },

  'format-field-id'() {
    later('format-field-id: a non-ASCII id is sent back as Last-Event-ID', (t) => {
      const source = new EventSource('resources/last-event-id.py');
      let seenHello = false;
      source.onmessage = t.stepFn((e: MessageEvent) => {
        if (e.data === 'hello' && !seenHello) {
          seenHello = true;
          expect.equal(e.lastEventId, '…', 'first lastEventId');
        } else if (seenHello) {
          expect.equal(e.data, '…', 'echoed Last-Event-ID');
          expect.equal(e.lastEventId, '…', 'lastEventId after the reconnect');
          source.close();
          t.done();
        } else {
          expect.never(`data ${e.data}`);
        }
      });
    });
  },

  'format-field-id-2'() {
    later('format-field-id-2: the id persists over two reconnects', (t) => {
      const source = new EventSource('resources/last-event-id.py');
      let count = 0;
      source.onmessage = t.stepFn((e: MessageEvent) => {
        if (e.data === 'hello' && count === 0) {
          expect.equal(e.lastEventId, '…', 'first lastEventId');
        } else if (count === 1 || count === 2) {
          expect.equal(e.data, '…', `echo ${count}`);
          expect.equal(e.lastEventId, '…', `lastEventId ${count}`);
          if (count === 2) {
            source.close();
            t.done();
          }
        } else {
          expect.never(`message ${count}: ${e.data}`);
        }
        count += 1;
      });
    });
  },

  'format-field-id-3'() {
    const kinds: [string, number, string[]][] = [
      ['persists', 1, ['1', '1']],
      ['changes and persists', 2, ['1', '2', '2']],
      ['resets', 3, ['1', '', '']],
    ];
    for (const [title, type, ids] of kinds) {
      later(`format-field-id-3: lastEventId ${title}`, (t) => {
        const source = new EventSource(`resources/last-event-id2.py?type=${type}`);
        let count = 0;
        source.onmessage = t.stepFn((e: MessageEvent) => {
          if (count >= ids.length) expect.never(`message ${count}`);
          expect.equal(e.lastEventId, ids[count], `lastEventId of message ${count}`);
          count += 1;
          if (count === ids.length) {
            source.close();
            t.done();
          }
        });
      });
    }
  },

  'format-field-id-null'() {
    later('format-field-id-null: an id with U+0000 is ignored', (t) => {
      const source = new EventSource('resources/last-event-id.py?idvalue=%00%00');
      let seenHello = false;
      source.onmessage = t.stepFn((e: MessageEvent) => {
        if (e.data === 'hello' && !seenHello) {
          seenHello = true;
          expect.equal(e.lastEventId, '', 'lastEventId');
        } else if (seenHello) {
          expect.equal(e.data, 'hello', 'no Last-Event-ID on the reconnect');
          expect.equal(e.lastEventId, '', 'lastEventId after the reconnect');
          source.close();
          t.done();
        } else {
          expect.never(`data ${e.data}`);
        }
      });
    });
  },

  'format-field-parsing'() {
    const text = 'data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n';
    dataIs('format-field-parsing: field names are exact, one space is dropped', message(`message=${encodeURIComponent(text)}&newline=none`), '\0\n 2\n1\n3\n\n4');
  },

  'format-field-retry'() {
    reconnectsAfter('format-field-retry: retry 02000 is decimal', message('message=retry%3A02000%0Adata%3Ax'), 2000);
  },

  'format-field-retry-bogus'() {
    reconnectsAfter('format-field-retry-bogus: a retry that is not all digits is ignored', message('message=retry%3A2000%0Aretry%3A1000x%0Adata%3Ax'), 2000);
  },

  'format-field-retry-empty'() {
    dataIs('format-field-retry-empty: a retry line without value is ignored', message('message=retry%0Adata%3Atest'), 'test');
  },

  'format-field-unknown'() {
    const text = 'data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test';
    dataIs('format-field-unknown: unknown fields are ignored', message(`message=${encodeURIComponent(text)}`), 'test\n\ntest');
  },

  'format-leading-space'() {
    dataIs('format-leading-space: one space after the colon is dropped, a tab is not', message(`message=${encodeURIComponent('data:\ttest\rdata: \ndata:test')}`), '\ttest\n\ntest');
  },

  'format-mime-bogus'() {
    failsFor('format-mime-bogus: Content-Type x/x fails the connection', message('mime=x/x'), undefined, true);
  },

  'format-mime-trailing-semicolon'() {
    later('format-mime-trailing-semicolon: text/event-stream; opens', (t) => {
      const source = new EventSource(message('mime=text/event-stream%3B'));
      onOpenChecks(t, source);
      source.onerror = t.never('an error event');
    });
  },

  'format-mime-valid-bogus'() {
    failsFor('format-mime-valid-bogus: Content-Type text/x-bogus fails the connection', message('mime=text/x-bogus'), undefined, true);
  },

  'format-newlines'() {
    dataIs('format-newlines: CRLF, LF and a final CR end lines', message(`message=${encodeURIComponent('data:test\r\ndata\ndata:test\r\n\r')}&newline=none`), 'test\n\ntest');
  },

  'format-null-character'() {
    later('format-null-character: U+0000 in data is kept', (t) => {
      const source = new EventSource(message('message=data%3A%00%0A%0A'));
      source.onmessage = t.doneFn((e: MessageEvent) => {
        expect.equal(e.data, '\0', 'data');
        source.close();
      });
      source.onerror = t.never('an error event');
    });
  },

  'format-utf-8'() {
    later('format-utf-8: the body is UTF-8 whatever the charset says', (t) => {
      const source = new EventSource(message('mime=text/event-stream;charset=windows-1252&message=data%3Aok%E2%80%A6'));
      source.onmessage = t.doneFn((e: MessageEvent) => {
        expect.equal(e.data, 'ok…', 'data');
        source.close();
      });
      source.onerror = t.never('an error event');
    });
  },

  'request-accept'() {
    dataIs('request-accept: the Accept header is text/event-stream', 'resources/accept.py', 'text/event-stream');
  },

  'request-cache-control'() {
    const crossdomain = otherHost('www2');
    const targets: [string, string][] = [
      ['same origin', 'resources/cache-control.event_stream?pipe=sub'],
      ['cross-origin', `${crossdomain}resources/cors.py?run=cache-control`],
    ];
    for (const [where, url] of targets) {
      const round = (n: number) =>
        later(`request-cache-control: ${where}, round ${n}: the server sees Cache-Control: no-cache`, (t) => {
          const source = new EventSource(url);
          source.onmessage = t.stepFn((e: MessageEvent) => {
            expect.equal(e.data, 'no-cache', 'Cache-Control the server saw');
            source.close();
            if (n === 1) round(2);
            t.done();
          });
        });
      round(1);
    }
  },

  'request-credentials'() {
    const crossdomain = otherHost('www2');
    const cookieTest = (title: string, sent: boolean, init: EventSourceInit, ident: string) =>
      later(`request-credentials: cookies ${title}`, (t) => {
        const source = new EventSource(`${crossdomain}resources/cors-cookie.py?ident=${ident}`, init);
        source.onmessage = t.stepFn((e: MessageEvent) => {
          const data = String(e.data);
          if (data.startsWith('first')) {
            expect.equal(data, 'first NO_COOKIE', 'first request');
          } else if (data.startsWith('second')) {
            expect.equal(data, sent ? 'second COOKIE' : 'second NO_COOKIE', 'second request');
            source.close();
            t.done();
          } else {
            source.close();
            expect.never(`data ${data}`);
          }
        });
      });
    cookieTest('sent with withCredentials: true', true, { withCredentials: true }, `1_${Date.now()}`);
    cookieTest('not sent with withCredentials: false', false, { withCredentials: false }, `2_${Date.now()}`);
    cookieTest('not sent by default', false, {}, `3_${Date.now()}`);
  },

  'request-redirect'() {
    for (const status of [301, 302, 303, 307]) {
      later(`request-redirect: a ${status} redirect is followed`, (t) => {
        const source = new EventSource(`/common/handlers/redirect.py?location=/eventsource/resources/message.py&status=${status}`);
        source.onopen = t.doneFn(() => {
          expect.equal(source.readyState, source.OPEN, 'readyState');
          source.close();
        });
        source.onerror = t.never('an error event');
      });
    }
  },

  'request-status-error'() {
    for (const status of [204, 205, 210, 299, 404, 410, 503]) {
      later(`request-status-error: status ${status} fails the connection`, (t) => {
        const source = new EventSource(`resources/status-error.py?status=${status}`);
        source.onmessage = t.never('a message');
        source.onerror = t.doneFn(() => {
          expect.equal(source.readyState, source.CLOSED, 'readyState');
          source.close();
        });
      });
    }
  },
};
