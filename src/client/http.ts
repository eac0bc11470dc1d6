// Small request and response helpers of the EventSource. Browser-safe: no `node:` imports.

/** True when a `Content-Type` value names the event-stream MIME type. */
export function isEventStream(contentType: string | null): boolean {
  // [spec] The MIME type essence must be text/event-stream; parameters such as charset are ignored.
  if (contentType === null) return false;
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim();
  return essence.toLowerCase() === 'text/event-stream';
}

/**
 * [spec] Last-Event-ID carries the id encoded as UTF-8; fetch headers take byte strings, so each
 * byte becomes one char from U+0000 to U+00FF.
 */
export function toByteString(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte);
  return out;
}

/** The page's URL in a browser, against which relative stream URLs resolve; `undefined` in Node. */
export function baseUrl(): string | undefined {
  const location = (globalThis as { location?: { href?: string } }).location;
  return typeof location?.href === 'string' ? location.href : undefined;
}

/** [spec] The serialized origin of the stream's final URL (`'null'` when it has none). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

/** A one-line account of a fetch failure, with its cause (undici puts the real reason there). */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** The page's origin in a browser (or worker); `undefined` in Node, where nothing is cross-origin. */
export function pageOrigin(): string | undefined {
  const location = (globalThis as { location?: { origin?: string } }).location;
  return typeof location?.origin === 'string' && location.origin !== 'null' ? location.origin : undefined;
}

/**
 * After `fetch` rejected: why retrying is futile, or `undefined` when the failure may be a passing
 * network error (worth a reconnect).
 *
 * - A URL whose scheme is not `http:` or `https:` cannot become an event stream.
 * - In a page, a cross-origin request that the server refused by CORS rejects exactly like a network
 *   error: fetch hides the difference from scripts. A `no-cors` HEAD request to the same URL tells
 *   them apart: it succeeds (with an opaque response) when the server answered, and fails when the
 *   network did. Chromium's EventSource fails the connection on a CORS refusal; so does this client.
 */
export async function futileFailure(url: string, fetchImpl: typeof globalThis.fetch, signal: AbortSignal): Promise<string | undefined> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return `the scheme ${target.protocol} cannot carry an event stream (use http: or https:)`;
  }
  const origin = pageOrigin();
  if (origin === undefined || target.origin === origin) return undefined;
  const probe = new AbortController();
  const onAbort = () => probe.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await fetchImpl(url, { method: 'HEAD', mode: 'no-cors', credentials: 'omit', cache: 'no-store', redirect: 'follow', signal: probe.signal });
    return `the server answered, but its CORS headers do not allow this page (${origin}) to read the stream`;
  } catch {
    return undefined;
  } finally {
    signal.removeEventListener('abort', onAbort);
    probe.abort(); // nothing of the probe's response is read
  }
}

/** True for the rejection of an aborted fetch (an `AbortError`). */
export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
