// What a fetch handler learns of its host from the second argument the host passes: Bun.serve
// passes its Server, Deno.serve a ServeHandlerInfo, @hono/node-server its env with the node
// request, Hono's mount whatever the outer host gave it.

/** The host's view of one request: the peer address, and a way to lift the host's idle timeout. */
export interface HostInfo {
  readonly remoteAddress: string | undefined;
  /**
   * True when the host sends a streamed response's head only with its first body byte (Bun.serve):
   * a stream that opens quiet then starts with a comment line so the client sees it open.
   */
  readonly headWaitsForBody: boolean;
  /**
   * Asks the host not to cut this request's response while it is quiet (a stream). Answers the
   * idle limit, in milliseconds, that still applies when the host could not lift it (the stream
   * must then send something more often), or undefined when none does.
   */
  keepOpen(): number | undefined;
}

/** Bun.serve's default `idleTimeout` (10 s), in milliseconds. */
export const BUN_IDLE_TIMEOUT_MS = 10_000;

interface BunServerLike {
  requestIP(request: Request): { address: string } | null;
  timeout(request: Request, seconds: number): void;
}

interface DenoInfoLike {
  remoteAddr: { hostname?: string };
}

interface NodeEnvLike {
  incoming: { socket?: { remoteAddress?: string } };
}

const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';
/**
 * A host that tells eventide nothing it can use. Under Bun it is most likely Bun.serve behind a
 * wrapper that dropped the server: its idle timeout applies.
 */
const unknownHost: HostInfo = {
  remoteAddress: undefined,
  headWaitsForBody: onBun,
  keepOpen: onBun ? () => BUN_IDLE_TIMEOUT_MS : () => undefined,
};
/** A host with no idle limit on responses (Deno.serve, Node). */
const noLimit = () => undefined;

function isBunServer(info: object): info is BunServerLike {
  return typeof (info as BunServerLike).requestIP === 'function' && typeof (info as BunServerLike).timeout === 'function';
}

/** Reads what it can from `info`; anything unknown (or absent) gives an empty HostInfo. */
export function hostInfo(request: Request, info: unknown): HostInfo {
  if (typeof info !== 'object' || info === null) return unknownHost;
  try {
    if (isBunServer(info)) return bunHost(request, info);
    const remoteAddr = (info as Partial<DenoInfoLike>).remoteAddr;
    if (remoteAddr && typeof remoteAddr.hostname === 'string') return { remoteAddress: remoteAddr.hostname, headWaitsForBody: onBun, keepOpen: noLimit };
    const incoming = (info as Partial<NodeEnvLike>).incoming;
    if (incoming && typeof incoming === 'object') return { remoteAddress: incoming.socket?.remoteAddress, headWaitsForBody: onBun, keepOpen: noLimit };
  } catch {
    // an info object whose getters throw tells us nothing
  }
  return unknownHost;
}

/**
 * Bun.serve cuts a response that sends nothing for `idleTimeout` seconds (10 by default), shorter
 * than the heartbeat; `server.timeout(request, 0)` lifts it for one request. Both it and
 * `requestIP` know only the Request Bun made: one a router rebuilt (Hono's mount rewrites the
 * URL) gets null from `requestIP`, and `timeout` silently does nothing for it. A null address
 * (also what a Unix-socket server answers) therefore means the limit may still apply.
 */
function bunHost(request: Request, server: BunServerLike): HostInfo {
  const address = server.requestIP(request)?.address;
  return {
    remoteAddress: address,
    headWaitsForBody: true,
    keepOpen: () => {
      try {
        server.timeout(request, 0);
      } catch {
        // a host that looks like Bun but is not
        return BUN_IDLE_TIMEOUT_MS;
      }
      return address === undefined ? BUN_IDLE_TIMEOUT_MS : undefined;
    },
  };
}
