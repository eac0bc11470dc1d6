// The operations API on Express, Fastify and the fetch handler, as on createApp: the event hook
// (onEvent and observe()), openStreams() for metrics, health(), and drain(): new streams get 503
// with Retry-After, open ones a `retry:` and a staggered end, then the app closes. Over node:http
// (Express, Fastify), a drained stream's connection closes once its response is complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { serve } from '@hono/node-server';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { NEVER, concat, of } from 'rxjs';
import { Controller, Sse, type AppOperations, type OperationsEvent } from '../../src/index.js';
import { createMetrics } from '../../src/operations/metrics.js';
import { eventide as expressEventide } from '../../src/platforms/express/index.js';
import { eventide as fastifyEventide } from '../../src/platforms/fastify/index.js';
import { createFetchHandler } from '../../src/platforms/web/index.js';
import { eventually } from '../support/sse-client.js';

@Controller()
class Feed {
  @Sse('feed/:room')
  feed() {
    return concat(of({ data: 'hello' }), NEVER);
  }
}

interface Running {
  url: string;
  port: number;
  ops: AppOperations & { readonly stats: { openStreams: number } };
  /** True when a drained stream's connection must close once its response is complete. */
  closesConnections: boolean;
  stop(): Promise<void>;
}

type Options = { controllers: object[]; onEvent: (event: OperationsEvent) => void };

const platforms: Record<string, (options: Options) => Promise<Running>> = {
  async express(options) {
    const app = express();
    const events = expressEventide(options);
    app.use(events as unknown as express.RequestHandler);
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      ops: events,
      closesConnections: true,
      stop: async () => {
        await events.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
  async fastify(options) {
    const app = Fastify();
    const plugin = fastifyEventide(options);
    await app.register(plugin);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, port: Number(new URL(url).port), ops: plugin, closesConnections: true, stop: () => app.close() };
  },
  async 'fetch handler'(options) {
    const app = createFetchHandler(options);
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      ops: app,
      closesConnections: false,
      stop: async () => {
        await app.close();
        (server as { closeAllConnections?(): void }).closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
};

/** A raw SSE request: everything received, the end of the response, and the close of the connection. */
function rawStream(port: number, path: string) {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let endResponse!: () => void;
  const ended = new Promise<void>((resolve) => (endResponse = resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    // The last chunk of a chunked response.
    if (text.endsWith('\r\n0\r\n\r\n')) endResponse();
  });
  socket.once('close', () => endResponse());
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n`);
  return { socket, text: () => text, ended, closed };
}

/** `promise`, or a failure naming `what` after `ms`. */
async function within(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function sample(registry: Registry, name: string): Promise<number | undefined> {
  const families = parsePrometheusTextFormat(await registry.metrics()) as { name: string; metrics: { value?: string }[] }[];
  const value = families.find((f) => f.name === name)?.metrics[0]?.value;
  return value === undefined ? undefined : Number(value);
}

for (const [name, start] of Object.entries(platforms)) {
  test(`${name}: onEvent and observe(), openStreams(), health() and a staggered drain() like createApp's`, async () => {
    const hooked: OperationsEvent[] = [];
    const running = await start({ controllers: [Feed], onEvent: (event) => hooked.push(event) });
    const { ops } = running;
    const observed: OperationsEvent[] = [];
    const unobserve = ops.observe((event) => observed.push(event));
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    const detach = metrics.observeApp(ops);
    const streams: ReturnType<typeof rawStream>[] = [];
    try {
      assert.deepEqual(await ops.health(), { status: 'ok', live: true, ready: true, checks: {} });
      assert.equal(ops.draining, false);
      streams.push(rawStream(running.port, '/feed/a'), rawStream(running.port, '/feed/b'));
      await eventually(() => streams.every((s) => s.text().includes('data: hello')), 5000, 'both streams to open');
      const opened = observed.filter((e) => e.type === 'stream.opened');
      assert.equal(opened.length, 2);
      assert.deepEqual(
        hooked.filter((e) => e.type === 'stream.opened'),
        opened,
        'onEvent hears what observe() hears',
      );
      const route = (opened[0] as { route: string }).route;
      assert.match(route, /feed\/:room/, 'events carry the route pattern, not the path');
      const open = [...ops.openStreams()];
      assert.deepEqual(open.map((s) => s.route), [route, route]);
      assert.ok(open.every((s) => s.eventsWritten === 1));
      assert.equal(await sample(registry, 'eventide_streams_opened_total'), 2, 'metrics count through observe()');
      assert.equal(await sample(registry, 'eventide_streams_open'), 2, 'metrics read openStreams()');

      // A bad option is refused before anything changes.
      assert.throws(() => ops.drain({ withinMs: -1 }), (err: Error & { code?: string }) => err.code === 'EVENTIDE_INVALID_OPTION' && /withinMs/.test(err.message));
      assert.equal(ops.draining, false);
      assert.equal((await ops.health()).ready, true);
      const drained = ops.drain({ withinMs: 300, retryMs: 700, jitterMs: 0 });
      assert.equal(ops.draining, true);
      assert.equal(ops.drain(), drained, 'a second call returns the same promise');
      const health = await ops.health();
      assert.equal(health.status, 'draining');
      assert.equal(health.ready, false);
      const refused = await fetch(`${running.url}/feed/c`);
      assert.equal(refused.status, 503);
      assert.ok(refused.headers.get('retry-after'), 'the 503 says when to retry');
      await refused.text();
      await drained;
      for (const s of streams) {
        await s.ended;
        assert.match(s.text(), /retry: 700\n\n/, 'each stream was told when to reconnect');
        // Node's keep-alive timeout (5 s) would close it too: well before it, the drain does.
        if (running.closesConnections) await within(s.closed, 2000, 'the drained stream\'s connection to close');
      }
      const closes = observed.filter((e) => e.type === 'stream.closed') as { reason: string }[];
      assert.deepEqual(closes.map((e) => e.reason), ['drain', 'drain']);
      assert.deepEqual(
        observed.filter((e) => e.type.startsWith('drain.')).map((e) => e.type),
        ['drain.started', 'drain.finished'],
      );
      assert.ok(observed.some((e) => e.type === 'stream.rejected' && (e as { reason: string }).reason === 'draining'));
      assert.equal(ops.stats.openStreams, 0);
      assert.equal((await ops.health()).status, 'closing', 'closed after the drain');
      unobserve();
      const before = observed.length;
      await fetch(`${running.url}/feed/d`).then((r) => r.text());
      assert.equal(observed.length, before, 'a removed listener hears nothing more');
      assert.ok(hooked.length > before, 'onEvent still does');
    } finally {
      detach();
      for (const s of streams) s.socket.destroy();
      await running.stop();
    }
  });
}
