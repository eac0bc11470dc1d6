// Exact bytes and headers on a raw socket: what node:http itself puts on the wire (one chunk per
// burst, Connection per HTTP version). The platform-neutral checks are in test/platforms/suite.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { of, NEVER, concat } from 'rxjs';
import { Controller, Sse, createApp, type RequestContext } from '../../src/index.js';
import { rawRequest } from '../support/sse-client.js';

@Controller()
class WireController {
  @Sse('events')
  events() {
    return concat(
      of(
        { data: { hello: 'world' } },
        { data: 'line1\nline2\r\nline3\rline4', id: '7', type: 'update', retry: 2500 },
        { data: '' },
        { data: 0, id: '', type: '' },
        'plain text',
        42,
        { notAnEvent: true },
      ),
      NEVER,
    );
  }

  @Sse('custom')
  custom(ctx: RequestContext) {
    ctx.status(201).setHeader('Cache-Control', 'no-store').setHeader('X-Extra', 'yes');
    return of({ data: 'x' });
  }
}

test('status line, default headers and exact event bytes', async () => {
  const app = createApp({ controllers: [WireController], onError: () => undefined });
  const { port } = await app.listen(0, '127.0.0.1');
  try {
    const client = rawRequest(port, 'GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await client.waitForText('notAnEvent');
    const [head, body] = text.split('\r\n\r\n');
    const lines = head.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 200 OK');
    const headers = Object.fromEntries(lines.slice(1).map((l) => l.split(': ')).map(([k, v]) => [k.toLowerCase(), v]));
    assert.equal(headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(headers['cache-control'], 'no-cache, no-transform');
    assert.equal(headers['x-accel-buffering'], 'no');
    assert.equal(headers['connection'], 'keep-alive');
    assert.equal(headers['transfer-encoding'], 'chunked');
    // De-chunk: all events of the synchronous burst go out in one chunk (one write).
    const match = /^([0-9a-f]+)\r\n/.exec(body);
    assert.ok(match, 'chunked body');
    const payload = body.slice(match[0].length, match[0].length + parseInt(match[1], 16));
    assert.equal(
      payload,
      'data: {"hello":"world"}\n\n' +
        'id: 7\nevent: update\nretry: 2500\ndata: line1\ndata: line2\ndata: line3\ndata: line4\n\n' +
        'data: \n\n' +
        'id: \nevent: \ndata: 0\n\n' +
        'data: plain text\n\n' +
        'data: 42\n\n' +
        'data: {"notAnEvent":true}\n\n',
    );
    client.socket.destroy();
  } finally {
    await app.close();
  }
});

test('HTTP/1.0 gets no Connection: keep-alive; handler status and headers win', async () => {
  const app = createApp({ controllers: [WireController] });
  const { port } = await app.listen(0, '127.0.0.1');
  try {
    const client = rawRequest(port, 'GET /custom HTTP/1.0\r\n\r\n');
    const text = await client.waitForText('data: x\n\n');
    assert.match(text, /^HTTP\/1\.1 201 Created\r\n/);
    assert.match(text, /\r\nCache-Control: no-store\r\n/);
    assert.match(text, /\r\nX-Extra: yes\r\n/);
    assert.match(text, /\r\nContent-Type: text\/event-stream; charset=utf-8\r\n/);
    assert.doesNotMatch(text, /Connection: keep-alive/i);
    client.socket.destroy();
  } finally {
    await app.close();
  }
});
