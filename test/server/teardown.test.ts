// Disconnect teardown, counted over hundreds of real connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Observable } from 'rxjs';
import { Controller, Sse, createApp, type RequestContext } from '../../src/index.js';
import { eventually, rawRequest } from '../support/sse-client.js';

const CONNECTIONS = 300;

test(`teardown runs exactly once per connection for ${CONNECTIONS} disconnects of each source kind`, async () => {
  const counts = { subscribed: 0, unsubscribed: 0, generatorFinally: 0, streamCancel: 0, aborted: 0 };
  @Controller()
  class Teardown {
    @Sse('observable')
    observable(ctx: RequestContext) {
      ctx.signal.addEventListener('abort', () => counts.aborted++);
      return new Observable((sub) => {
        counts.subscribed++;
        sub.next({ data: 'first' });
        return () => counts.unsubscribed++;
      });
    }

    @Sse('generator')
    async *generator(ctx: RequestContext) {
      ctx.signal.addEventListener('abort', () => counts.aborted++);
      try {
        yield { data: 'first' };
        // Waits until the client leaves; return() then runs this finally block.
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        yield { data: 'never sent' };
      } finally {
        counts.generatorFinally++;
      }
    }

    @Sse('stream')
    stream(ctx: RequestContext) {
      ctx.signal.addEventListener('abort', () => counts.aborted++);
      let sent = false;
      return new ReadableStream({
        pull(controller) {
          if (!sent) {
            sent = true;
            controller.enqueue({ data: 'first' });
          }
          return new Promise(() => undefined);
        },
        cancel() {
          counts.streamCancel++;
        },
      });
    }
  }
  const app = createApp({ controllers: [Teardown] });
  const { port } = await app.listen(0, '127.0.0.1');
  try {
    for (const path of ['observable', 'generator', 'stream']) {
      const clients = Array.from({ length: CONNECTIONS }, () =>
        rawRequest(port, `GET /${path} HTTP/1.1\r\nHost: x\r\n\r\n`),
      );
      await Promise.all(clients.map((c) => c.waitForText('data: first')));
      assert.equal(app.stats.openStreams, CONNECTIONS);
      for (const c of clients) c.socket.destroy();
      await eventually(() => app.stats.openStreams === 0, 15_000, `all ${path} streams closed`);
    }
    await eventually(() => counts.generatorFinally === CONNECTIONS && counts.streamCancel === CONNECTIONS, 15_000, 'teardown');
    assert.equal(counts.subscribed, CONNECTIONS);
    assert.equal(counts.unsubscribed, CONNECTIONS);
    assert.equal(counts.generatorFinally, CONNECTIONS);
    assert.equal(counts.streamCancel, CONNECTIONS);
    assert.equal(counts.aborted, 3 * CONNECTIONS);
    assert.equal(app.stats.totalStreams, 3 * CONNECTIONS);
  } finally {
    await app.close();
  }
});
