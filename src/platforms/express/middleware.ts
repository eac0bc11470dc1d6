// eventide as Express middleware (Express 4 and 5): the controllers' routes are served through the
// route core on Node's own req/res; every other request goes on to the next middleware.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCore, type AppStats, type CoreOptions } from '../../core/app-core.js';
import { defineOperations, type AppOperations } from '../../operations/app-operations.js';
import { closeConnectionsAfterResponses } from '../node/close-after-response.js';
import { NodeExchange } from '../node/exchange.js';

/** Options of the Express middleware: those of `createApp`. */
export type ExpressOptions = CoreOptions;

/**
 * An Express middleware serving eventide controllers, with the app's lifecycle and operations
 * attached (`drain()` ends its streams and closes it; closing your HTTP server is up to you).
 */
export interface EventideMiddleware extends AppOperations {
  (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /**
   * Refuses new streams (503), ends open ones cleanly, and cuts, after `closeGraceMs`, what it
   * served that is still open. Call it before closing your HTTP server: `server.close()` waits for
   * open streams.
   */
  close(): Promise<void>;
  /** Live counters. */
  readonly stats: Readonly<AppStats>;
}

/**
 * The body a parser mounted before eventide (`express.json()`, `express.text()`, ...) already read.
 * A parser that skipped the request (another content type, no body) left the stream unread, and
 * eventide reads it itself.
 */
function parsedBody(req: IncomingMessage): { value: unknown } | undefined {
  const parsed = req as IncomingMessage & { body?: unknown; _body?: boolean };
  if (parsed._body === true || (parsed.body !== undefined && req.readableEnded)) return { value: parsed.body };
  return undefined;
}

/**
 * Creates Express middleware that serves the controllers' routes. A request no route answers
 * (another path, or a method none of the path's routes takes) goes to `next()`, so eventide sits
 * among other routes. Middleware mounted before it (auth, `cors`, `compression`, body parsers)
 * applies to its streams; mounted under a path (`app.use('/api', ...)`), routes are relative to it.
 *
 * @example
 * ```ts
 * const app = express();
 * const events = eventide({ controllers: [NewsController] });
 * app.use(cors(), events);
 * const server = app.listen(3000);
 * // on shutdown: await events.close(); server.close();
 * ```
 */
export function eventide(options: ExpressOptions): EventideMiddleware {
  const core = createCore(options, 'eventide');
  const middleware = ((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    if (!core.handles(req.method ?? 'GET', req.url ?? '/')) {
      next();
      return;
    }
    // While draining, answers say `Connection: close`: the next request goes to a live process.
    if (core.draining) res.shouldKeepAlive = false;
    void core.dispatch(new NodeExchange(req, res, parsedBody(req)));
  }) as EventideMiddleware;
  Object.defineProperty(middleware, 'stats', { value: core.stats, enumerable: true });
  middleware.close = () => core.close();
  return defineOperations(middleware, core, middleware.close, () => closeConnectionsAfterResponses(core));
}
