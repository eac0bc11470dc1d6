// Types of runtime-serve.mjs, for the eventide servers written in TypeScript.

/** Serves `fetch` with Bun.serve or Deno.serve on a free loopback port; resolves with the port. */
export function serveFetch(
  fetch: (request: Request, info?: unknown) => Response | Promise<Response>,
  options?: { idleTimeout?: number },
): Promise<number>;

/** The runtime this process runs on. */
export const runtimeName: 'bun' | 'deno' | 'node';
