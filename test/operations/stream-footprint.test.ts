// What a held node:http stream keeps, which the memory per connection of the scale run depends on:
// no header map for the default stream headers (they go straight into the head), a single 'close'
// listener on the response, whatever the core listens for, and no record of the peer's address
// unless something asks for it. The wire is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { NEVER, concat, of } from 'rxjs';
import { Controller, Sse, createApp, type RequestContext } from '../../src/index.js';
import { eventually, rawRequest } from '../support/sse-client.js';

test('a held node:http stream keeps no header map, one close listener and no peer address; its head carries the defaults', async () => {
  const responses: ServerResponse[] = [];
  const contexts: RequestContext[] = [];
  @Controller()
  class Feed {
    @Sse('plain')
    plain(ctx: RequestContext) {
      responses.push(ctx.res);
      contexts.push(ctx);
      return concat(of({ data: 'hi' }), NEVER);
    }
    @Sse('custom')
    custom(ctx: RequestContext) {
      ctx.setHeader('Cache-Control', 'private, no-cache');
      responses.push(ctx.res);
      return concat(of({ data: 'hi' }), NEVER);
    }
  }
  const app = createApp({ controllers: [Feed], heartbeatMs: 0 });
  await app.listen(0, '127.0.0.1');
  const port = app.address!.port;
  const plain = rawRequest(port, 'GET /plain HTTP/1.1\r\nHost: t\r\n\r\n');
  const custom = rawRequest(port, 'GET /custom HTTP/1.1\r\nHost: t\r\n\r\n');
  try {
    const head = await plain.waitForText('data: hi\n\n');
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nContent-Type: text\/event-stream; charset=utf-8\r\n/);
    assert.match(head, /\r\nCache-Control: no-cache, no-transform\r\n/);
    assert.match(head, /\r\nX-Accel-Buffering: no\r\n/);
    assert.match(head, /\r\nConnection: keep-alive\r\n/);
    const customHead = await custom.waitForText('data: hi\n\n');
    assert.match(customHead, /\r\nCache-Control: private, no-cache\r\n/, "the handler's header wins");
    assert.doesNotMatch(customHead, /no-transform/);
    assert.match(customHead, /\r\nContent-Type: text\/event-stream; charset=utf-8\r\n/, 'the other defaults are added');
    const [res, customRes] = responses;
    assert.deepEqual(res.getHeaderNames(), [], 'no header map behind the defaults');
    assert.equal(res.listenerCount('close'), 1, 'one close listener serves the core and the stream');
    // Node keeps a socket's peer address (an object and a string) once asked for it: without a
    // per-address limit or an operations listener, nothing asks until the handler reads ctx.ip.
    const socket = res.socket as unknown as { _peername?: unknown };
    assert.equal(socket._peername, undefined, 'the peer address was not read');
    assert.equal(contexts[0].ip, '127.0.0.1', 'ctx.ip reads it when asked');
    assert.notEqual(socket._peername, undefined);
    assert.deepEqual(customRes.getHeaderNames(), ['cache-control', 'content-type', 'x-accel-buffering', 'connection']);
    assert.equal(app.stats.openStreams, 2);
    // The one listener still ends the stream when the client leaves.
    plain.socket.destroy();
    await plain.closed;
    await eventually(() => app.stats.openStreams === 1, 5000, 'the stream of the client that left to end');
  } finally {
    plain.socket.destroy();
    custom.socket.destroy();
    await app.close();
  }
});
