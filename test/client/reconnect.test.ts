// Reconnection, failure and close() against real node:http servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from '../../src/client/node.js';
import { reconnectDelay } from '../../src/client/options.js';
import { startServer, sseHead, until, nextEvent } from './helpers.js';

interface Log {
  entries: string[];
}
function watch(es: EventSource): Log {
  const log: Log = { entries: [] };
  es.onopen = () => log.entries.push('open');
  es.onerror = () => log.entries.push(`error:${es.readyState}`);
  es.onmessage = (event) => log.entries.push(`message:${event.data}:${event.lastEventId}`);
  return log;
}

test('drop mid-stream, then resume with Last-Event-ID; the partial event is discarded', async () => {
  const srv = await startServer((req, res, index) => {
    sseHead(res);
    if (index === 0) {
      res.write('retry: 20\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: partial');
      setImmediate(() => res.socket?.destroy());
    } else {
      res.write(`id: 4\ndata: c\n\n`);
    }
  });
  const es = new EventSource(`${srv.url}/s`, { reconnect: { delay: 5000 } });
  const log = watch(es);
  try {
    await until(() => log.entries.includes('message:c:4'), 'the event after the reconnect');
    assert.deepEqual(log.entries, ['open', 'message:a:1', 'message:b:2', 'error:0', 'open', 'message:c:4']);
    assert.equal(srv.requests[0]!.headers['last-event-id'], undefined);
    assert.equal(srv.requests[1]!.headers['last-event-id'], '2');
  } finally {
    es.close();
    await srv.close();
  }
});

test('Last-Event-ID is sent as UTF-8 and not sent once an empty id reset it', async () => {
  const srv = await startServer((req, res, index) => {
    sseHead(res);
    res.end(index === 0 ? 'retry: 1\nid: caf\u00e9 \u20ac\ndata: a\n\n' : index === 1 ? 'id\ndata: b\n\n' : 'data: c\n\n');
  });
  const es = new EventSource(srv.url);
  try {
    await until(() => srv.requests.length >= 3, 'three requests');
    assert.equal(Buffer.from(srv.requests[1]!.headers['last-event-id'] as string, 'latin1').toString('utf8'), 'caf\u00e9 \u20ac');
    assert.equal(srv.requests[2]!.headers['last-event-id'], undefined);
  } finally {
    es.close();
    await srv.close();
  }
});

test('retry changes the wait between reconnects (loose timing)', async () => {
  const times: number[] = [];
  const srv = await startServer((req, res, index) => {
    times.push(performance.now());
    sseHead(res);
    // The first stream asks for 400 ms, the second for 10 ms.
    res.end(index === 0 ? 'retry: 400\n\n' : index === 1 ? 'retry: 10\n\n' : '');
  });
  const es = new EventSource(srv.url, { reconnect: { delay: 10 } });
  try {
    await until(() => times.length >= 3, 'three connections');
    es.close();
    const slow = times[1]! - times[0]!;
    const fast = times[2]! - times[1]!;
    assert.ok(slow >= 350, `the wait after retry: 400 was ${slow.toFixed(0)} ms`);
    assert.ok(fast < slow, `the wait after retry: 10 (${fast.toFixed(0)} ms) is shorter than after 400 (${slow.toFixed(0)} ms)`);
  } finally {
    es.close();
    await srv.close();
  }
});

test('204 on a reconnect stops for good', async () => {
  const srv = await startServer((req, res, index) => {
    if (index === 0) {
      sseHead(res);
      res.end('retry: 5\ndata: a\n\n');
    } else res.writeHead(204).end();
  });
  const es = new EventSource(srv.url);
  const log = watch(es);
  try {
    await until(() => log.entries.includes('error:2'), 'the final error');
    assert.deepEqual(log.entries, ['open', 'message:a:', 'error:0', 'error:2']);
    assert.equal(es.readyState, EventSource.CLOSED);
    // Ten reconnection times later there is still no third request.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(srv.requests.length, 2);
  } finally {
    es.close();
    await srv.close();
  }
});

test('500 fails at once by default', async () => {
  const srv = await startServer((req, res) => res.writeHead(500).end('boom'));
  const es = new EventSource(srv.url, { reconnect: { delay: 5 } });
  const log = watch(es);
  try {
    await until(() => log.entries.length > 0, 'an error');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(log.entries, ['error:2']);
    assert.equal(srv.requests.length, 1);
  } finally {
    es.close();
    await srv.close();
  }
});

test('a 200 that is not text/event-stream fails, even with retryOnServerError', async () => {
  const srv = await startServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('data: a\n\n'));
  const es = new EventSource(srv.url, { reconnect: { delay: 5, retryOnServerError: true } });
  const log = watch(es);
  try {
    await until(() => log.entries.length > 0, 'an error');
    assert.deepEqual(log.entries, ['error:2']);
  } finally {
    es.close();
    await srv.close();
  }
});

test('500 is retried when opted in, then the stream opens', async () => {
  const srv = await startServer((req, res, index) => {
    if (index < 2) return void res.writeHead(503).end();
    sseHead(res);
    res.write('data: ok\n\n');
  });
  const es = new EventSource(srv.url, { reconnect: { delay: 5, retryOnServerError: true } });
  const log = watch(es);
  try {
    await until(() => log.entries.includes('message:ok:'), 'the message');
    assert.deepEqual(log.entries, ['error:0', 'error:0', 'open', 'message:ok:']);
  } finally {
    es.close();
    await srv.close();
  }
});

test('retryOnServerError as a function decides per status; maxAttempts bounds the attempts', async () => {
  const srv = await startServer((req, res, index) => res.writeHead(index === 0 ? 429 : 503).end());
  const es = new EventSource(srv.url, {
    reconnect: { delay: 1, retryOnServerError: (status) => status === 429 || status === 503, maxAttempts: 4 },
  });
  const log = watch(es);
  try {
    await until(() => es.readyState === EventSource.CLOSED, 'the source to give up');
    assert.equal(srv.requests.length, 4);
    assert.deepEqual(log.entries, ['error:0', 'error:0', 'error:0', 'error:2']);
  } finally {
    es.close();
    await srv.close();
  }
});

test('backoff grows and stays under its cap', async () => {
  const times: number[] = [];
  const srv = await startServer((req, res) => {
    times.push(performance.now());
    res.writeHead(503).end();
  });
  const es = new EventSource(srv.url, {
    reconnect: { delay: 10, retryOnServerError: true, backoff: { factor: 2, maxDelay: 80, jitter: 0 } },
  });
  try {
    await until(() => times.length >= 8, 'eight attempts');
    es.close();
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Planned waits: 10, 20, 40, 80, 80, 80, 80. Timers only ever fire late, so the floor is firm;
    // the ceiling gets generous slack on this shared machine.
    assert.ok(gaps[2]! >= 38, `third wait ${gaps[2]!.toFixed(0)} ms`);
    for (const gap of gaps.slice(3)) {
      assert.ok(gap >= 78 && gap < 80 + 400, `capped wait ${gap.toFixed(0)} ms`);
    }
  } finally {
    es.close();
    await srv.close();
  }
});

test('reconnectDelay: exponential, capped, jittered downwards only', () => {
  const backoff = { factor: 3, maxDelay: 1000, jitter: 0.5 };
  assert.equal(reconnectDelay(100, 5, undefined), 100);
  assert.equal(reconnectDelay(100, 1, backoff, () => 0), 100);
  assert.equal(reconnectDelay(100, 2, backoff, () => 0), 300);
  assert.equal(reconnectDelay(100, 3, backoff, () => 0), 900);
  assert.equal(reconnectDelay(100, 4, backoff, () => 0), 1000);
  assert.equal(reconnectDelay(100, 400, backoff, () => 0), 1000);
  assert.equal(reconnectDelay(100, 4, backoff, () => 1), 500);
});

test('network errors at connect reconnect by default, and fail at once when retryOnNetworkError is false', async () => {
  const srv = await startServer(() => {});
  const url = srv.url;
  await srv.close(); // nothing listens on this port any more
  const retrying = new EventSource(url, { reconnect: { delay: 5 } });
  const failing = new EventSource(url, { reconnect: { delay: 5, retryOnNetworkError: false } });
  const retryLog = watch(retrying);
  const failLog = watch(failing);
  try {
    await until(() => retryLog.entries.length >= 3 && failLog.entries.length >= 1, 'errors');
    assert.ok(retryLog.entries.every((entry) => entry === 'error:0'), retryLog.entries.join());
    assert.equal(retrying.readyState, EventSource.CONNECTING);
    assert.deepEqual(failLog.entries, ['error:2']);
  } finally {
    retrying.close();
    failing.close();
  }
});

test('close() while connecting aborts the request and nothing fires after', async () => {
  let aborted = false;
  const srv = await startServer((req) => {
    req.socket.on('close', () => (aborted = true)); // never answers
  });
  const es = new EventSource(srv.url);
  const log = watch(es);
  try {
    await until(() => srv.requests.length === 1, 'the request');
    es.close();
    assert.equal(es.readyState, EventSource.CLOSED);
    await until(() => aborted, 'the server to see the request aborted');
    assert.deepEqual(log.entries, []);
  } finally {
    es.close();
    await srv.close();
  }
});

test('close() while open ends the response; no error event, no reconnect', async () => {
  let closed = false;
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('retry: 1\ndata: a\n\n');
    res.on('close', () => (closed = true));
  });
  const es = new EventSource(srv.url);
  const log = watch(es);
  try {
    await until(() => log.entries.includes('message:a:'), 'the message');
    es.close();
    await until(() => closed, 'the server to see the client go');
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(log.entries, ['open', 'message:a:']);
    assert.equal(srv.requests.length, 1);
  } finally {
    es.close();
    await srv.close();
  }
});

test('close() while waiting to reconnect cancels the reconnect', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.end('retry: 100\n\n');
  });
  const es = new EventSource(srv.url);
  try {
    await nextEvent(es, 'error');
    assert.equal(es.readyState, EventSource.CONNECTING);
    es.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(srv.requests.length, 1);
  } finally {
    es.close();
    await srv.close();
  }
});

test('close() in a listener stops the events that follow in the same chunk', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: 1\n\ndata: 2\n\ndata: 3\n\n');
  });
  const es = new EventSource(srv.url);
  const seen: string[] = [];
  es.onmessage = (event) => {
    seen.push(event.data);
    if (event.data === '2') es.close();
  };
  try {
    await until(() => seen.length >= 2, 'two messages');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(seen, ['1', '2']);
  } finally {
    es.close();
    await srv.close();
  }
});

test('an aborted signal closes the source', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write('data: a\n\n');
  });
  const controller = new AbortController();
  const es = new EventSource(srv.url, { signal: controller.signal });
  try {
    await nextEvent(es, 'message');
    controller.abort();
    assert.equal(es.readyState, EventSource.CLOSED);
    const already = new EventSource(srv.url, { signal: controller.signal });
    assert.equal(already.readyState, EventSource.CLOSED);
  } finally {
    es.close();
    await srv.close();
  }
});

test('POST with headers and a body, sent again on reconnect', async () => {
  const bodies: string[] = [];
  const srv = await startServer(async (req, res, index) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    bodies.push(`${req.method} ${req.headers.authorization} ${body}`);
    sseHead(res);
    res.end(index === 0 ? 'retry: 1\nid: 9\ndata: a\n\n' : 'data: b\n\n');
  });
  const es = new EventSource(srv.url, {
    method: 'post',
    headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
    body: '{"prompt":"hi"}',
  });
  try {
    await until(() => bodies.length >= 2, 'two requests');
    assert.deepEqual(bodies.slice(0, 2), ['POST Bearer t {"prompt":"hi"}', 'POST Bearer t {"prompt":"hi"}']);
    assert.equal(srv.requests[1]!.headers['last-event-id'], '9');
  } finally {
    es.close();
    await srv.close();
  }
});

test('an injected fetch is used', async () => {
  const urls: string[] = [];
  const es = new EventSource('http://example.invalid/stream', {
    fetch: async (input) => {
      urls.push(String(input));
      return new Response('data: injected\n\n', { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    },
    reconnect: { delay: 60_000 },
  });
  try {
    const event = await nextEvent<MessageEvent>(es, 'message');
    assert.equal(event.data, 'injected');
    assert.deepEqual(urls, ['http://example.invalid/stream']);
  } finally {
    es.close();
  }
});

test('an event larger than maxEventSize is dropped and the stream goes on', async () => {
  const srv = await startServer((req, res) => {
    sseHead(res);
    res.write(`data: ${'x'.repeat(5000)}\n\ndata: small\n\n`);
  });
  const es = new EventSource(srv.url, { maxEventSize: 1000 });
  try {
    const event = await nextEvent<MessageEvent>(es, 'message');
    assert.equal(event.data, 'small');
  } finally {
    es.close();
    await srv.close();
  }
});

test('bad arguments: relative URL without a page, invalid options', () => {
  assert.throws(() => new EventSource('/relative'), (error: unknown) => error instanceof DOMException && error.name === 'SyntaxError');
  assert.throws(() => new EventSource('http://127.0.0.1:1/', { reconnect: { delay: -1 } }), { code: 'EVENTIDE_INVALID_OPTION' });
  assert.throws(() => new EventSource('http://127.0.0.1:1/', { reconnect: { backoff: { jitter: 2 } } }), { code: 'EVENTIDE_INVALID_OPTION' });
  assert.throws(() => new EventSource('http://127.0.0.1:1/', { method: 'GE T' }), { code: 'EVENTIDE_INVALID_OPTION' });
});

test('the WHATWG surface: constants, url, withCredentials, handlers', async () => {
  assert.deepEqual([EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED], [0, 1, 2]);
  const controller = new AbortController();
  controller.abort();
  const es = new EventSource(new URL('http://127.0.0.1:1/a/../b?x=1'), { withCredentials: true, signal: controller.signal });
  assert.deepEqual([es.CONNECTING, es.OPEN, es.CLOSED], [0, 1, 2]);
  assert.equal(es.url, 'http://127.0.0.1:1/b?x=1');
  assert.equal(es.withCredentials, true);
  assert.equal(es.onmessage, null);
  const handler = () => {};
  es.onmessage = handler;
  assert.equal(es.onmessage, handler);
  let calls = 0;
  es.onmessage = () => calls++;
  es.dispatchEvent(new MessageEvent('message', { data: 'x' }));
  es.onmessage = null;
  es.dispatchEvent(new MessageEvent('message', { data: 'x' }));
  assert.equal(calls, 1);
  // Type-level: it stands where the global EventSource is expected.
  const asGlobal: globalThis.EventSource = es;
  assert.equal(asGlobal.readyState, 2);
});
