// A client that stops reading is evicted by the connection's bound without holding back the
// publisher or a reading client; when it reconnects with the last id it parsed, it loses nothing
// still retained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { EventSource as NpmEventSource } from 'eventsource';
import { Controller, Sse, createApp, type RequestContext } from '../../src/index.js';
import { Hub } from '../../src/hub/index.js';
import { createParser } from '../../src/protocol/parse.js';
import { waitFor } from './helpers.js';

const EVENTS = 1500;
const PAYLOAD = 'x'.repeat(8 * 1024);

test('an evicted slow client resumes from its last id and loses nothing retained', { timeout: 60_000 }, async () => {
  // The stopped client is closed by the hub's stall policy once it takes nothing for 1 s.
  const hub = new Hub({ history: { maxEvents: EVENTS * 2 }, stallTimeoutMs: 1000 });

  @Controller()
  class FeedController {
    @Sse('feed', { maxBufferedBytes: 256 * 1024 })
    feed(ctx: RequestContext) {
      return hub.subscribe('feed', { lastEventId: ctx.lastEventId });
    }
  }

  const app = createApp({ controllers: [new FeedController()], onError: () => {} });
  await app.listen(0, '127.0.0.1');
  const { port } = app.address!;
  let slow: Socket | undefined;
  let fast: NpmEventSource | undefined;
  try {
    // The slow client: a raw socket that reads the headers and the first bytes, then stops reading.
    const slowGot: string[] = [];
    const parser = createParser({ onEvent: (e) => slowGot.push(e.data) });
    let headerDone = false;
    let pending = '';
    slow = connect(port, '127.0.0.1');
    slow.setEncoding('utf8');
    slow.on('data', (chunk: string) => {
      if (!headerDone) {
        pending += chunk;
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        headerDone = true;
        chunk = pending.slice(end + 4);
      }
      // Chunked transfer framing is stripped below; keep the raw body for the parser.
      body += chunk;
    });
    let body = '';
    slow.write(`GET /feed HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    await waitFor(() => headerDone, 'the slow client to be connected');
    slow.pause();

    const fastGot: string[] = [];
    fast = new NpmEventSource(`${app.url}/feed`);
    let fastOpen = false;
    fast.onopen = () => (fastOpen = true);
    fast.onmessage = (e) => fastGot.push(e.lastEventId);
    await waitFor(() => fastOpen && hub.subscriptionCount === 2, 'both clients to subscribe');

    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      ids.push(await hub.publish('feed', { data: `${i}:${PAYLOAD}`, retry: 50 }));
      // Paced so that a reading client keeps up within its bound; the stopped one cannot.
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor(() => app.stats.slowClientsClosed >= 1, 'the slow client to be evicted', 20_000);
    // The reading client got everything (reconnecting by itself if it was ever evicted too).
    await waitFor(() => fastGot.at(-1) === ids.at(-1), 'the fast client to get every event', 20_000);
    assert.deepEqual(fastGot, ids, 'the reading client: exactly the published ids');

    // The slow client reads what it was sent before eviction, then resumes with its last id.
    slow.resume();
    await new Promise<void>((resolve) => slow!.once('close', () => resolve()));
    parser.feed(dechunk(body));
    parser.end();
    const lastEventId = parser.lastEventId;
    const before = slowGot.length;
    assert.ok(before < EVENTS, `the slow client was cut off early (${before} events)`);
    assert.equal(lastEventId, before === 0 ? '' : ids[before - 1]);
    // Resume over a fresh connection, as EventSource does, with the id it last recorded.
    const rest = createParser({ onEvent: (e) => slowGot.push(e.data) });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${app.url}/feed`, { agent: false, headers: { 'Last-Event-ID': lastEventId } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.on('data', (chunk: Buffer) => {
          rest.feed(chunk);
          if (slowGot.length >= EVENTS) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => {});
      });
      req.on('error', (err) => (slowGot.length >= EVENTS ? resolve() : reject(err)));
      req.end();
    });
    assert.deepEqual(
      slowGot.map((d) => Number(d.slice(0, d.indexOf(':')))),
      [...Array(EVENTS).keys()],
      'the slow client ends with every event exactly once',
    );
  } finally {
    slow?.destroy();
    fast?.close();
    await app.close();
    await hub.close();
  }
});

/** Removes HTTP/1.1 chunked framing from a body read off a raw socket (a partial last chunk is kept). */
function dechunk(raw: string): string {
  let out = '';
  let at = 0;
  while (at < raw.length) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(raw.slice(at, eol), 16);
    if (!Number.isFinite(size) || size === 0) break;
    const start = eol + 2;
    out += raw.slice(start, start + size);
    at = start + size + 2;
  }
  return out;
}
