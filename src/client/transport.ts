// How the EventSource opens a stream and reads its body, apart from what it does with them.
// Internal: not exported from the package. Browser-safe: no `node:` imports.

/** What the EventSource asks for on each connection attempt. */
export interface StreamRequest {
  url: string;
  method: string;
  /** Every request header, `Accept` and `Last-Event-ID` included. */
  headers: Headers;
  body: RequestInit['body'];
  /** Aborted when the source closes or gives the attempt up. */
  signal: AbortSignal;
  credentials: RequestCredentials;
}

/** An answered request: its status and headers, and its body still to read. */
export interface OpenedStream {
  status: number;
  contentType: string | null;
  /** The URL that answered, after redirects. */
  url: string;
  /**
   * Hands each chunk of the body to `onChunk`, in order, until the body ends (resolves) or the
   * connection is lost (rejects). When `onChunk` returns a promise, the next chunk is read only
   * once it settled (a rejection ends the reading as a loss). Call once.
   */
  read(onChunk: (chunk: Uint8Array) => Promise<void> | undefined): Promise<void>;
  /** Stops reading and lets the connection go: `read` settles, `onChunk` is not called again. */
  cancel(): void;
}

/**
 * Opens a stream: resolves once the response head arrived (redirects followed), rejects as
 * `fetch` does on a network error (a `TypeError`) or an abort (an `AbortError`).
 */
export type Transport = (request: StreamRequest) => Promise<OpenedStream>;

/** The transport over a WHATWG `fetch`: browsers, Bun, Deno, and any `fetch` passed as an option. */
export function fetchTransport(fetch: typeof globalThis.fetch): Transport {
  return async ({ url, method, headers, body, signal, credentials }) => {
    const response = await fetch(url, {
      method,
      headers,
      body,
      signal,
      credentials,
      // [spec] The cache mode is "no-store": fetch then adds `Cache-Control: no-cache` and
      // `Pragma: no-cache` itself, after the CORS check, as browsers do for their own EventSource.
      cache: 'no-store',
      redirect: 'follow',
    });
    const stream = response.body;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let cancelled = false;
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      url: response.url || url,
      async read(onChunk) {
        if (stream === null || cancelled) return;
        reader = stream.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || cancelled) return;
          const wait = onChunk(value);
          if (wait !== undefined) await wait;
        }
      },
      cancel() {
        cancelled = true;
        // A fetch that ignores its signal still has its body cancelled.
        (reader ?? stream)?.cancel().catch(() => {});
      },
    };
  };
}

let preferred: Transport | undefined;

/**
 * Internal: the transport of event sources made without a `fetch` option. The Node entry of
 * `eventide/client` sets its node:http transport here; elsewhere it is `globalThis.fetch`'s.
 */
export function setDefaultTransport(transport: Transport): void {
  preferred = transport;
}

/** The transport of event sources made without a `fetch` option, if one was set. */
export function defaultTransport(): Transport | undefined {
  return preferred;
}
