// Serves a fetch handler on a free loopback port with the runtime's own server: Bun.serve under Bun,
// Deno.serve under Deno. The handler gets the host's second argument (Bun's Server, Deno's info).
// `idleTimeout` is Bun's (seconds, 0 = none); Deno's server has no idle timeout on streams.

/** Resolves with the port once the runtime's server listens. */
export function serveFetch(fetch, { idleTimeout } = {}) {
  if (typeof globalThis.Bun !== 'undefined') {
    const server = globalThis.Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch,
      ...(idleTimeout === undefined ? {} : { idleTimeout }),
    });
    return Promise.resolve(server.port);
  }
  if (typeof globalThis.Deno !== 'undefined') {
    return new Promise((resolve) => {
      globalThis.Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => resolve(port) }, fetch);
    });
  }
  throw new Error('runtime-serve: run this server under Bun or Deno (node bench/run.mjs --runtimes)');
}

/** The runtime this process runs on, for labels and errors. */
export const runtimeName = typeof globalThis.Bun !== 'undefined' ? 'bun' : typeof globalThis.Deno !== 'undefined' ? 'deno' : 'node';
