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

/** What {@link futileFailure} needs to know about the request that failed. */
export interface FailedRequest {
  url: string;
  fetch: typeof globalThis.fetch;
  /** Aborts the probes when the source closes. */
  signal: AbortSignal;
  credentials: RequestCredentials;
  /** Whether the request needed a CORS preflight (see {@link needsPreflight}). */
  preflighted: boolean;
}

/**
 * After `fetch` rejected: why retrying is futile, or `undefined` when the failure may be a passing
 * network error (worth a reconnect).
 *
 * - A URL whose scheme is not `http:` or `https:` cannot become an event stream.
 * - In a page, a cross-origin request refused by CORS rejects exactly like a network error: fetch
 *   hides the difference from scripts. Two probes tell them apart. A simple CORS request (GET with
 *   `Accept` only, the same credentials mode; cancelled as soon as its headers arrive) that
 *   succeeds shows that the server allows this page: the failure was passing, unless the failed
 *   request needed a preflight, which the server then refused. If that probe fails too, a `no-cors`
 *   HEAD request tells whether the server answered at all (an opaque response: a CORS refusal) or
 *   the network failed. Chromium's EventSource fails the connection on a CORS refusal; so does
 *   this client, instead of retrying forever.
 */
export async function futileFailure(request: FailedRequest): Promise<string | undefined> {
  const target = new URL(request.url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return `the scheme ${target.protocol} cannot carry an event stream (use http: or https:)`;
  }
  const origin = pageOrigin();
  if (origin === undefined || target.origin === origin) return undefined;
  const probe = new AbortController();
  const onAbort = () => probe.abort();
  request.signal.addEventListener('abort', onAbort, { once: true });
  const common = { cache: 'no-store', redirect: 'follow', signal: probe.signal } as const;
  try {
    try {
      await request.fetch(request.url, { ...common, method: 'GET', mode: 'cors', credentials: request.credentials, headers: { accept: 'text/event-stream' } });
      if (!request.preflighted) return undefined;
      return `the server refused the CORS preflight that this request needs (for Last-Event-ID, custom headers or the method); allow them with Access-Control-Allow-Headers / -Methods`;
    } catch {
      if (probe.signal.aborted) return undefined;
    }
    try {
      await request.fetch(request.url, { ...common, method: 'HEAD', mode: 'no-cors', credentials: 'omit' });
    } catch {
      return undefined; // the network failed: reconnect
    }
    return `the server answered, but its CORS headers do not allow this page (${origin}) to read the stream`;
  } finally {
    request.signal.removeEventListener('abort', onAbort);
    probe.abort(); // nothing of the probes' responses is read
  }
}

const SAFELISTED_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/**
 * Whether the Fetch standard makes this request preflighted when it is cross-origin: a method
 * other than GET, HEAD and POST, or a header that is not CORS-safelisted. `Last-Event-ID` never is,
 * so every reconnect with an id is preflighted (browsers' own EventSource is exempt; scripts are not).
 */
export function needsPreflight(method: string, headers: Headers): boolean {
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return true;
  for (const [name, value] of headers) {
    if (name === 'accept' || name === 'accept-language' || name === 'content-language') continue;
    if (name === 'content-type' && SAFELISTED_TYPES.has(value.split(';')[0]!.trim().toLowerCase())) continue;
    return true;
  }
  return false;
}

/** True for the rejection of an aborted fetch (an `AbortError`). */
export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
