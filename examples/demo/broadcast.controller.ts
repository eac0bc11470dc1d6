// The broadcast demo: a chat and a ticker on two hub channels, carried by one resumable stream.
import type { Socket } from 'node:net';
import { Controller, Sse, Post, httpError, type Hub, type RequestContext } from 'eventide';

export const CHANNELS = ['chat', 'ticker'];

@Controller('broadcast')
export class BroadcastController {
  /** Open stream sockets by tab, so that a tab can ask the server to cut its connection. */
  readonly #sockets = new Map<string, Socket>();

  constructor(private readonly hub: Hub) {}

  @Sse('stream')
  stream(ctx: RequestContext) {
    const tab = ctx.query.tab;
    if (tab) {
      this.#sockets.set(tab, ctx.req.socket);
      ctx.signal.addEventListener('abort', () => {
        if (this.#sockets.get(tab) === ctx.req.socket) this.#sockets.delete(tab);
      });
    }
    // Resumes after the Last-Event-ID header (EventSource's reconnects) or the ?lastEventId=
    // parameter (a reloaded page passes the id it stored).
    return this.hub.subscribe(CHANNELS, { lastEventId: ctx.lastEventId });
  }

  @Post('messages')
  async say(ctx: RequestContext) {
    const { name, text } = (ctx.body ?? {}) as { name?: unknown; text?: unknown };
    if (typeof text !== 'string' || text.trim() === '' || text.length > 500) {
      throw httpError(400, 'send { name, text } with a text of 1 to 500 characters');
    }
    const who = typeof name === 'string' && name.trim() !== '' ? name.trim().slice(0, 40) : 'anonymous';
    const id = await this.hub.publish('chat', { data: { name: who, text: text.trim(), at: Date.now() } });
    return { id };
  }

  @Post('drop')
  drop(ctx: RequestContext) {
    // Simulates a network failure: the server destroys the tab's socket mid-stream; the browser's
    // EventSource reconnects on its own and sends Last-Event-ID.
    const socket = this.#sockets.get(ctx.query.tab ?? '');
    if (!socket) throw httpError(404, 'no open stream for this tab');
    socket.destroy();
    return { dropped: true };
  }
}
