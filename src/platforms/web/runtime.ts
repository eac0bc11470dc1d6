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
  /** Asks the host not to cut this request's response while it is quiet (a stream). */
  keepOpen(): void;
}

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

const nothing = () => {};
const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

function isBunServer(info: object): info is BunServerLike {
  return typeof (info as BunServerLike).requestIP === 'function' && typeof (info as BunServerLike).timeout === 'function';
}

/** Reads what it can from `info`; anything unknown (or absent) gives an empty HostInfo. */
export function hostInfo(request: Request, info: unknown): HostInfo {
  if (typeof info !== 'object' || info === null) return { remoteAddress: undefined, headWaitsForBody: onBun, keepOpen: nothing };
  try {
    if (isBunServer(info)) {
      return {
        remoteAddress: info.requestIP(request)?.address ?? undefined,
        headWaitsForBody: true,
        // Bun.serve cuts a response that sends nothing for `idleTimeout` seconds (10 by default),
        // shorter than the heartbeat: 0 lifts it for this request only.
        keepOpen: () => {
          try {
            info.timeout(request, 0);
          } catch {
            // a host that looks like Bun but is not: the heartbeat must then be short enough
          }
        },
      };
    }
    const remoteAddr = (info as Partial<DenoInfoLike>).remoteAddr;
    if (remoteAddr && typeof remoteAddr.hostname === 'string') return { remoteAddress: remoteAddr.hostname, headWaitsForBody: onBun, keepOpen: nothing };
    const incoming = (info as Partial<NodeEnvLike>).incoming;
    if (incoming && typeof incoming === 'object') return { remoteAddress: incoming.socket?.remoteAddress, headWaitsForBody: onBun, keepOpen: nothing };
  } catch {
    // an info object whose getters throw tells us nothing
  }
  return { remoteAddress: undefined, headWaitsForBody: onBun, keepOpen: nothing };
}
