import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from '../../src/client/node.js';
import { startServer, sseHead, nextEvent } from './helpers.js';

test('smoke: receives a message and closes', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: hello\n\n');
  });
  const es = new EventSource(srv.url + '/x');
  try {
    const ev = await nextEvent<MessageEvent>(es, 'message');
    assert.equal(ev.data, 'hello');
    assert.equal(ev.origin, srv.url);
    assert.equal(es.readyState, es.OPEN);
    assert.equal(srv.requests[0]!.headers.accept, 'text/event-stream');
    assert.equal(srv.requests[0]!.headers['cache-control'], 'no-cache');
  } finally {
    es.close();
    await srv.close();
  }
});
