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
