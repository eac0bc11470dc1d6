// From a drain on, a node:http connection serving a response of the app closes once that response
// is complete: its keep-alive would otherwise bring the client's next request back to the draining
// process through a load balancer that routes per connection.
import type { AppCore } from '../../core/app-core.js';
import { NodeExchange } from './exchange.js';

/** Ends the connection of every node:http response in flight once the response is complete. */
export function closeConnectionsAfterResponses(core: AppCore): void {
  for (const exchange of core.inFlight()) {
    if (!(exchange instanceof NodeExchange)) continue; // a fetch handler's
    const { res, req } = exchange;
    if (!res.writableFinished) res.once('finish', () => req.socket?.end());
  }
}
