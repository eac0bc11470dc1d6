// The client's two ways of making requests in Node: node:http (the default of the Node entry) and
// `fetch` (any `fetch` option). Each case runs on both and must come out the same: redirects and
// what they do to the method, body and Authorization, the request headers, a compressed body, a
// body cut mid-stream, too many redirects, a redirect to another scheme, an unreachable server, a
// chunk handler that throws, and a slow reader. (Backpressure
// itself, over the default transport, is in backpressure.test.ts.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import { EventSource, events } from '../../src/client/node.js';
import { isEventideError } from '../../src/errors.js';
import { nodeTransport } from '../../src/client/node-transport.js';
import { fetchTransport } from '../../src/client/transport.js';
import { nextEvent, sseHead, startServer, until, type TestServer } from './helpers.js';

type Seen = { url: string; method: string; headers: IncomingMessage['headers']; body: string };

let main: TestServer;
let other: TestServer;
const seen: Seen[] = [];

/** Routes: /sse (one event naming the request), /redirect?status&to&hops, /gzip, /cut. */
function handler(req: IncomingMessage, res: import('node:http').ServerResponse) {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    seen.push({ url: req.url!, method: req.method!, headers: req.headers, body });
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/redirect') {
      const hops = Number(url.searchParams.get('hops') ?? 1);
      const to = url.searchParams.get('to') ?? '/sse';
      const next = new URLSearchParams(url.searchParams);
      next.set('hops', String(hops - 1));
      res.writeHead(Number(url.searchParams.get('status')), { location: hops > 1 ? `/redirect?${next}` : to });
      res.end('moved');
      return;
    }
    if (url.pathname === '/gzip') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      res.end(gzipSync('data: first\n\ndata: second\n\n'));
      return;
    }
    if (url.pathname === '/cut') {
      // A chunked body that stops in the middle of an event: a loss, then a reconnect.
      sseHead(res);
      res.write('id: 7\ndata: whole\n\ndata: half');
      setImmediate(() => res.socket?.destroy());
      return;
    }
    if (url.pathname === '/many') {
      sseHead(res);
      for (let i = 0; i < 200; i++) res.write(`data: ${i}\n\n`);
      res.end();
      return;
    }
    sseHead(res);
    res.end(`retry: 60000\ndata: ${req.method} ${url.pathname}\n\n`);
  });
}

before(async () => {
  main = await startServer(handler);
  other = await startServer(handler);
});

after(async () => {
  await main.close();
  await other.close();
});

const transports = [
  { name: 'node:http (the Node default)', options: {} },
  { name: 'fetch (a fetch option)', options: { fetch: (input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init) } },
];

/** Opens a source, waits for its first message, closes it; returns the message and the requests made. */
async function firstMessage(url: string, options: object): Promise<{ event: MessageEvent; requests: Seen[] }> {
  const from = seen.length;
  const source = new EventSource(url, options);
  try {
    const event = await nextEvent<MessageEvent>(source, 'message');
    return { event, requests: seen.slice(from) };
  } finally {
    source.close();
  }
}

/** What a request carried that the transport decides, for comparing the two. */
function carried(request: Seen) {
  const h = request.headers;
  const pick = (name: string) => h[name];
  return {
    method: request.method,
    body: request.body,
    accept: pick('accept'),
    'cache-control': pick('cache-control'),
    pragma: pick('pragma'),
    'content-type': pick('content-type'),
    'content-length': pick('content-length'),
    authorization: pick('authorization'),
    'last-event-id': pick('last-event-id'),
    'x-custom': pick('x-custom'),
  };
}

const outcomes = new Map<string, unknown[]>();
function record(name: string, value: unknown): void {
  outcomes.set(name, [...(outcomes.get(name) ?? []), value]);
}

for (const { name, options } of transports) {
  describe(`the client's requests over ${name}`, () => {
    for (const status of [301, 302, 303, 307, 308]) {
      it(`follows a ${status} redirect with a GET, and the events' origin is the final URL's`, async () => {
        const { event, requests } = await firstMessage(`${main.url}/redirect?status=${status}&to=${encodeURIComponent(`${other.url}/sse`)}`, options);
        assert.equal(event.data, 'GET /sse');
        assert.equal(event.origin, other.url);
        assert.deepEqual(requests.map((r) => r.method), ['GET', 'GET']);
        record(`redirect ${status}`, requests.map(carried));
      });
    }

    for (const [status, method, body] of [[301, 'GET', ''], [302, 'GET', ''], [303, 'GET', ''], [307, 'POST', 'hello'], [308, 'POST', 'hello']] as const) {
      it(`after a ${status} redirect, a POST goes on as ${method}${body ? ' with its body' : ' without its body or its Content-Type'}`, async () => {
        const { event, requests } = await firstMessage(`${main.url}/redirect?status=${status}`, { ...options, method: 'POST', body: 'hello', headers: { 'x-custom': 'kept' } });
        assert.equal(event.data, `${method} /sse`);
        assert.equal(requests[0]!.body, 'hello');
        assert.equal(requests[0]!.headers['content-type'], 'text/plain;charset=UTF-8');
        assert.equal(requests[1]!.body, body);
        assert.equal(requests[1]!.headers['content-type'], body ? 'text/plain;charset=UTF-8' : undefined);
        assert.equal(requests[1]!.headers['x-custom'], 'kept');
        record(`post ${status}`, requests.map(carried));
      });
    }

    it('drops Authorization on a redirect to another origin, keeps it on one to the same origin', async () => {
      const headers = { authorization: 'Bearer secret' };
      const cross = await firstMessage(`${main.url}/redirect?status=302&to=${encodeURIComponent(`${other.url}/sse`)}`, { ...options, headers });
      assert.deepEqual(cross.requests.map((r) => r.headers.authorization), ['Bearer secret', undefined]);
      const same = await firstMessage(`${main.url}/redirect?status=302`, { ...options, headers });
      assert.deepEqual(same.requests.map((r) => r.headers.authorization), ['Bearer secret', 'Bearer secret']);
      record('authorization', [...cross.requests, ...same.requests].map(carried));
    });

    it('sends Accept and no-cache headers, and Last-Event-ID on a reconnect after a body cut mid-event', async () => {
      const from = seen.length;
      const source = new EventSource(`${main.url}/cut`, { ...options, reconnect: { delay: 1 } });
      const data: string[] = [];
      source.onmessage = (event) => data.push(event.data);
      try {
        await until(() => seen.length - from >= 2 && data.length >= 2, 'a reconnect after the cut');
      } finally {
        source.close();
      }
      // The half event before the cut is never dispatched.
      assert.deepEqual(data.slice(0, 2), ['whole', 'whole']);
      const [first, second] = seen.slice(from, from + 2).map(carried);
      assert.equal(first!.accept, 'text/event-stream');
      assert.equal(first!['cache-control'], 'no-cache');
      assert.equal(first!.pragma, 'no-cache');
      assert.equal(first!['last-event-id'], undefined);
      assert.equal(second!['last-event-id'], '7');
      record('cut', [first, second]);
    });

    it('decodes a body the server compressed', async () => {
      const got: string[] = [];
      for await (const event of events(`${main.url}/gzip`, { ...options, reconnect: { delay: 60_000 } })) {
        got.push(event.data as string);
        if (got.length === 2) break;
      }
      assert.deepEqual(got, ['first', 'second']);
    });

    it('gives a slow events() consumer every event, in order', async () => {
      const got: number[] = [];
      for await (const event of events(`${main.url}/many`, { ...options, reconnect: { delay: 60_000 } })) {
        got.push(Number(event.data));
        if (got.length % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        if (got.length === 200) break;
      }
      assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i));
    });

    it('gives up after 20 redirects in a row, as a network error', async () => {
      const from = seen.length;
      const iterator = events(`${main.url}/redirect?status=302&hops=25`, { ...options, reconnect: { retryOnNetworkError: false } });
      await assert.rejects(iterator.next(), (error: unknown) => isEventideError(error, 'EVENTIDE_CLIENT_NETWORK'));
      assert.equal(seen.length - from, 21, 'the first request and 20 redirects');
    });

    it('treats a redirect to a scheme other than http(s) as a network error', async () => {
      const iterator = events(`${main.url}/redirect?status=302&to=${encodeURIComponent('ftp://127.0.0.1/sse')}`, { ...options, reconnect: { retryOnNetworkError: false } });
      await assert.rejects(iterator.next(), (error: unknown) => isEventideError(error, 'EVENTIDE_CLIENT_NETWORK'));
    });

    it('ends the reading as a loss when the chunk handler throws, and reads no more chunks', async () => {
      const transport = 'fetch' in options ? fetchTransport(globalThis.fetch) : nodeTransport;
      const controller = new AbortController();
      const stream = await transport({ url: `${main.url}/many`, method: 'GET', headers: new Headers(), body: null, signal: controller.signal, credentials: 'same-origin' });
      let chunks = 0;
      await assert.rejects(
        stream.read(() => {
          chunks++;
          throw new Error('handler broke');
        }),
      );
      assert.equal(chunks, 1);
      stream.cancel();
      controller.abort();
    });

    it('reports an unreachable server as a network error with its cause', async () => {
      const closed = await startServer(() => {});
      const url = closed.url;
      await closed.close();
      const iterator = events(`${url}/sse`, { ...options, reconnect: { retryOnNetworkError: false } });
      await assert.rejects(iterator.next(), (error: unknown) => isEventideError(error, 'EVENTIDE_CLIENT_NETWORK') && /ECONNREFUSED/.test((error as Error).message));
    });
  });
}

describe('node:http and fetch', () => {
  it('made the same requests in every case above', () => {
    for (const [name, [viaNode, viaFetch]] of outcomes) assert.deepEqual(viaNode, viaFetch, name);
    assert.equal(outcomes.size, 12);
  });
});
