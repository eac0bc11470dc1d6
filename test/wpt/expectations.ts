// What the ported eventsource/ tests must show for eventide's client in Chromium, and why it
// differs from Chromium's own EventSource where it does. wpt.test.ts holds the run to these lists.

/** Every test eventide's client passes in place of Chromium's EventSource (74). */
export const EVENTIDE_PASSES: readonly string[] = [
  'event-data: lines, comments and an empty data field over several chunks',
  'eventsource-close: error events over two reconnects, the last (204) CLOSED',
  'eventsource-close: readyState CONNECTING, OPEN, then CLOSED at once on close()',
  'eventsource-constructor-document-domain: opens after document.domain is set',
  'eventsource-constructor-empty-url: the empty string resolves to the document URL',
  'eventsource-constructor-non-same-origin: about:blank fails the connection',
  'eventsource-constructor-non-same-origin: ftp://example.not/ fails the connection',
  'eventsource-constructor-non-same-origin: javascript:alert(\'FAIL\') fails the connection',
  'eventsource-constructor-non-same-origin: mailto:whatwg@awesome.example fails the connection',
  'eventsource-constructor-stringify: 1',
  'eventsource-constructor-stringify: an object is turned into its string',
  'eventsource-constructor-stringify: null',
  'eventsource-constructor-stringify: undefined',
  'eventsource-constructor-url-multi-window: a URL resolves against the frame of the constructor',
  'eventsource-cross-origin-preflight: a Last-Event-ID over 128 bytes is preflighted',
  'eventsource-cross-origin-preflight: a Last-Event-ID with CORS-unsafe bytes is preflighted',
  'eventsource-cross-origin: Access-Control-Allow-Origin of another origin fails',
  'eventsource-cross-origin: an empty Access-Control-Allow-Origin fails',
  'eventsource-cross-origin: basic use (withCredentials)',
  'eventsource-cross-origin: no Access-Control-Allow-Origin fails',
  'eventsource-cross-origin: redirect use (withCredentials)',
  'eventsource-cross-origin: redirect use recon (withCredentials)',
  'eventsource-eventtarget: addEventListener("message") receives the data, this is the source',
  'eventsource-onmessage-realm: the MessageEvent comes from the realm of the EventSource',
  'eventsource-onmessage: onmessage receives the data',
  'eventsource-onopen: open is a plain event fired with readyState OPEN',
  'eventsource-prototype: the prototype is shared and EventSource is a property of window',
  'eventsource-readyState: CLOSED after close()',
  'eventsource-readyState: CONNECTING before the connection',
  'eventsource-readyState: OPEN when open fires',
  'eventsource-reconnect: a stream that ends with retry: 2 reconnects and gets the data',
  'eventsource-reconnect: the error event of a reconnect comes between the two streams',
  'eventsource-url: url is the resolved URL',
  'format-bom-2: of two leading BOMs only the first is stripped',
  'format-bom: only a leading BOM is stripped',
  'format-comments: comments among data lines, every line ending',
  'format-data-before-final-empty-line: an unfinished last event is dropped, its id too',
  'format-field-data: empty data, bare data lines, data',
  'format-field-event-empty: an empty event name means message',
  'format-field-event: a named event reaches its listener, not onmessage',
  'format-field-id-2: the id persists over two reconnects',
  'format-field-id-3: lastEventId changes and persists',
  'format-field-id-3: lastEventId persists',
  'format-field-id-3: lastEventId resets',
  'format-field-id-null: an id with U+0000 is ignored',
  'format-field-id: a non-ASCII id is sent back as Last-Event-ID',
  'format-field-parsing: field names are exact, one space is dropped',
  'format-field-retry-bogus: a retry that is not all digits is ignored',
  'format-field-retry-empty: a retry line without value is ignored',
  'format-field-retry: retry 02000 is decimal',
  'format-field-unknown: unknown fields are ignored',
  'format-leading-space: one space after the colon is dropped, a tab is not',
  'format-mime-bogus: Content-Type x/x fails the connection',
  'format-mime-trailing-semicolon: text/event-stream; opens',
  'format-mime-valid-bogus: Content-Type text/x-bogus fails the connection',
  'format-newlines: CRLF, LF and a final CR end lines',
  'format-null-character: U+0000 in data is kept',
  'format-utf-8: the body is UTF-8 whatever the charset says',
  'request-accept: the Accept header is text/event-stream',
  'request-cache-control: cross-origin, round 1: the server sees Cache-Control: no-cache',
  'request-cache-control: cross-origin, round 2: the server sees Cache-Control: no-cache',
  'request-cache-control: same origin, round 1: the server sees Cache-Control: no-cache',
  'request-cache-control: same origin, round 2: the server sees Cache-Control: no-cache',
  'request-redirect: a 301 redirect is followed',
  'request-redirect: a 302 redirect is followed',
  'request-redirect: a 303 redirect is followed',
  'request-redirect: a 307 redirect is followed',
  'request-status-error: status 204 fails the connection',
  'request-status-error: status 205 fails the connection',
  'request-status-error: status 210 fails the connection',
  'request-status-error: status 299 fails the connection',
  'request-status-error: status 404 fails the connection',
  'request-status-error: status 410 fails the connection',
  'request-status-error: status 503 fails the connection',
];

/**
 * Tests Chromium's own EventSource passes and eventide's client cannot, with the reason. No script
 * can pass them: they need powers only the browser's own implementation has.
 */
export const EVENTIDE_CANNOT: Readonly<Record<string, string>> = {
  'eventsource-onmessage-trusted: message events are trusted':
    'isTrusted is true only for events the browser itself dispatches; an event a script dispatches is never trusted.',
  'eventsource-cross-origin-preflight: a safe Last-Event-ID is sent without a preflight':
    "Last-Event-ID is not a CORS-safelisted request-header for fetch(), so a script's cross-origin reconnect with an id is always preflighted; only the browser's own EventSource may send it without one.",
  'request-credentials: cookies sent with withCredentials: true':
    'The reconnect carries Last-Event-ID: 1, which makes the cross-origin request preflighted (see above); this handler does not allow Last-Event-ID in a preflight, so the client fails the connection (CLOSED, one error event) instead of receiving the second event.',
  'request-credentials: cookies not sent with withCredentials: false':
    'As above: the cross-origin reconnect with Last-Event-ID needs a preflight this handler refuses.',
  'request-credentials: cookies not sent by default':
    'As above: the cross-origin reconnect with Last-Event-ID needs a preflight this handler refuses.',
  'eventsource-request-cancellation: window.stop() fails a pending connection':
    "window.stop() rejects a script's fetch() with the same TypeError as a network failure, so the client cannot tell them apart; it reconnects, as after a network error. Telling them apart by probing the server would turn a server restart into a permanent failure.",
};

/** Tests eventide's client passes and Chromium's own EventSource does not, with the reason. */
export const CHROMIUM_FAILS: Readonly<Record<string, string>> = {
  'eventsource-cross-origin-preflight: a Last-Event-ID over 128 bytes is preflighted':
    'Chromium sends any Last-Event-ID without a preflight; the test expects one for ids that are not CORS-safe.',
  'eventsource-cross-origin-preflight: a Last-Event-ID with CORS-unsafe bytes is preflighted':
    'As above.',
  'format-utf-8: the body is UTF-8 whatever the charset says':
    'Chromium fails the connection when Content-Type names a charset other than UTF-8; the WHATWG text decodes the body as UTF-8 whatever it says.',
};

/** Tests neither passes, with the reason. */
export const NEITHER: Readonly<Record<string, string>> = {
  'eventsource-constructor-url-bogus: an invalid URL throws SyntaxError':
    "Chromium's URL parser (which both use) accepts a space in the host of http://this is invalid/, so nothing is thrown.",
};
