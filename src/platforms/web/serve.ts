// One request through the core as a fetch call: the function behind `app.fetch` and createFetchHandler.
import type { AppCore } from '../../core/app-core.js';
import { WebExchange } from './exchange.js';
import { hostInfo } from './runtime.js';

/**
 * A fetch handler: `Request` in, `Response` out. The optional second argument is whatever the host
 * passes (Bun's Server, Deno's ServeHandlerInfo, @hono/node-server's env); it supplies the client
 * address and lets a stream lift the host's idle timeout.
 */
export type FetchHandler = (request: Request, info?: unknown) => Promise<Response>;

export function fetchHandlerOf(core: AppCore): FetchHandler {
  return (request: Request, info?: unknown) => {
    const exchange = new WebExchange(request, hostInfo(request, info));
    void core.dispatch(exchange);
    return exchange.response;
  };
}
