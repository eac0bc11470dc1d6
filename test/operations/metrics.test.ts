// /metrics scraped over HTTP and parsed by a real exposition-format parser: the values equal what
// the test did (streams opened, closed by reason, events written, publishes, errors, 503s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEVER, Observable, concat, from } from 'rxjs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { Controller, Hub, Sse, createApp, createMemoryBackend, type RequestContext } from '../../src/index.js';
import { createMetrics, metricsController } from '../../src/operations/metrics.js';
import { openStream } from '../support/sse-client.js';

interface Family {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; count?: string; buckets?: Record<string, string> }[];
}

async function scrape(url: string): Promise<Family[]> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(await response.text()) as Family[];
}

function value(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  assert.ok(family, `metric ${name} is exposed`);
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!sample) return undefined;
  // Histograms: the parser keeps the buckets (and drops the labels); +Inf counts every sample.
  return Number(sample.value ?? sample.count ?? sample.buckets?.['+Inf']);
}

test('scraped /metrics equals what was done: opens, closes by reason, events and bytes written, publishes, errors, 503s', async () => {
  const registry = new Registry();
  const metrics = createMetrics({ registry });
  const hub = new Hub({ backend: metrics.instrumentBackend(createMemoryBackend()) });
  metrics.observeHub(hub);

  @Controller('feeds')
  class Feeds {
    // Completes after `count` events.
    @Sse('finite/:count')
    finite(ctx: RequestContext) {
      return from(Array.from({ length: Number(ctx.params.count) }, (_, i) => ({ data: { i } })));
    }
    // Sends three events then stays open until the client leaves.
    @Sse('open/:room')
    open() {
      return concat(from([{ data: 'a' }, { data: 'b' }, { data: 'c' }]), NEVER);
    }
    // One good event, then (once the client has it) an event with an id no stream may carry: the stream fails.
    @Sse('broken')
    broken() {
      return new Observable((s) => {
        s.next({ data: 'fine' });
        void brokenGo.promise.then(() => s.next({ data: 'x', id: 'bad\nid' }));
      });
    }
    @Sse('news')
    news(ctx: RequestContext) {
      return hub.subscribe('news', { lastEventId: ctx.lastEventId, anchor: false });
    }
  }

  let go!: () => void;
  const brokenGo = { promise: new Promise<void>((r) => (go = r)), resolve: () => go() };
  const errors: unknown[] = [];
  const app = createApp({ controllers: [Feeds, metricsController({ registry })], maxStreams: 3, onError: (e) => errors.push(e) });
  const stop = metrics.observeApp(app);
  await app.listen(0, '127.0.0.1');
  try {
    // Two finite streams: 5 and 7 events, closed as complete.
    for (const n of [5, 7]) {
      const s = await openStream(`${app.url}/feeds/finite/${n}`);
      await s.finished;
      assert.equal(s.events.length, n);
    }
    // Two open streams in different rooms (one route pattern), closed by the client.
    const a = await openStream(`${app.url}/feeds/open/room-1`);
    const b = await openStream(`${app.url}/feeds/open/room-2`);
    await a.waitForEvents(3);
    await b.waitForEvents(3);
    // A hub stream receiving four publishes.
    const n = await openStream(`${app.url}/feeds/news`);
    // The limit is 3: a fourth stream is refused with 503.
    const refused = await fetch(`${app.url}/feeds/open/room-3`);
    assert.equal(refused.status, 503);
    await refused.arrayBuffer();
    for (let i = 0; i < 4; i++) await hub.publish('news', { data: { i } });
    await n.waitForEvents(4);

    let families = await scrape(app.url);
    assert.equal(value(families, 'eventide_streams_open', { route: '/feeds/open/:room' }), 2);
    assert.equal(value(families, 'eventide_streams_open', { route: '/feeds/news' }), 1);
    assert.equal(value(families, 'eventide_streams_open', { route: '/feeds/finite/:count' }), 0);
    // Events written so far include those of open streams.
    assert.equal(value(families, 'eventide_events_written_total', { route: '/feeds/open/:room' }), 6);
    assert.equal(value(families, 'eventide_events_written_total', { route: '/feeds/news' }), 4);
    assert.equal(value(families, 'eventide_streams_rejected_total', { route: '/feeds/open/:room', reason: 'limit' }), 1);
    assert.equal(value(families, 'eventide_hub_publishes_total', { outcome: 'ok' }), 4);
    assert.equal(value(families, 'eventide_hub_publish_duration_seconds'), 4, 'one latency sample per publish');
    assert.equal(value(families, 'eventide_hub_subscriptions'), 1);

    await a.close();
    await b.close();
    await n.close();
    const broken = await openStream(`${app.url}/feeds/broken`);
    await broken.waitForEvents(1);
    brokenGo.resolve();
    await broken.finished;
    assert.deepEqual(broken.events.map((e) => e.type), ['message', 'eventide-error']);
    await until(() => app.stats.openStreams === 0);

    families = await scrape(app.url);
    const finite = '/feeds/finite/:count';
    const open = '/feeds/open/:room';
    assert.equal(value(families, 'eventide_streams_opened_total', { route: finite }), 2);
    assert.equal(value(families, 'eventide_streams_opened_total', { route: open }), 2);
    assert.equal(value(families, 'eventide_streams_opened_total', { route: '/feeds/broken' }), 1);
    assert.equal(value(families, 'eventide_streams_closed_total', { route: finite, reason: 'complete' }), 2);
    assert.equal(value(families, 'eventide_streams_closed_total', { route: open, reason: 'client' }), 2);
    assert.equal(value(families, 'eventide_streams_closed_total', { route: '/feeds/news', reason: 'client' }), 1);
    assert.equal(value(families, 'eventide_streams_closed_total', { route: '/feeds/broken', reason: 'error' }), 1);
    assert.equal(value(families, 'eventide_streams_open', { route: open }), 0);
    // 5 + 7 events; 3 + 3; 4 hub events; the broken stream's event and its error event.
    assert.equal(value(families, 'eventide_events_written_total', { route: finite }), 12);
    assert.equal(value(families, 'eventide_events_written_total', { route: open }), 6);
    assert.equal(value(families, 'eventide_events_written_total', { route: '/feeds/news' }), 4);
    assert.equal(value(families, 'eventide_events_written_total', { route: '/feeds/broken' }), 2);
    assert.equal(value(families, 'eventide_errors_total', { code: 'EVENTIDE_INVALID_EVENT' }), 1);
    assert.equal(errors.length, 1);
    const durations = (await registry.getMetricsAsJSON()).find((m) => m.name === 'eventide_stream_duration_seconds')!;
    const finiteCount = (durations.values as { labels: Record<string, string>; metricName?: string; value: number }[]).find(
      (v) => v.metricName === 'eventide_stream_duration_seconds_count' && v.labels.route === finite,
    );
    assert.equal(finiteCount?.value, 2);
    // Bytes: equal to what the clients received for the finite routes (they read to the end).
    const bytesFinite = value(families, 'eventide_bytes_written_total', { route: finite })!;
    assert.ok(bytesFinite > 0);
    // No raw path ever becomes a label.
    const text = await (await fetch(`${app.url}/metrics`)).text();
    assert.ok(!text.includes('room-1') && !text.includes('/feeds/finite/5'), 'raw paths are not labels');
    // prom-client's own view of the registry agrees with the parsed text.
    const json = await registry.getMetricsAsJSON();
    const opened = json.find((m) => m.name === 'eventide_streams_opened_total')!;
    const sum = (opened.values as { value: number }[]).reduce((t, v) => t + v.value, 0);
    assert.equal(sum, 2 + 2 + 1 + 1);
  } finally {
    stop();
    await app.close();
    await hub.close();
  }
});

test('the bytes counted equal the bytes the client read', async () => {
  const registry = new Registry();
  const metrics = createMetrics({ registry, prefix: 'x_' });
  @Controller()
  class One {
    @Sse('one')
    one() {
      return from([{ data: 'hello' }, { data: { multi: 'line\nvalue' }, type: 't', id: '7' }]);
    }
  }
  const app = createApp({ controllers: [One, metricsController({ registry, path: '/m' })] });
  metrics.observeApp(app);
  await app.listen(0, '127.0.0.1');
  try {
    const s = await openStream(`${app.url}/one`);
    await s.finished;
    const received = Buffer.byteLength(s.text());
    const families = parsePrometheusTextFormat(await (await fetch(`${app.url}/m`)).text()) as Family[];
    assert.equal(value(families, 'x_bytes_written_total', { route: '/one' }), received);
    assert.equal(value(families, 'x_events_written_total', { route: '/one' }), 2);
  } finally {
    await app.close();
  }
});

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setImmediate(r));
  }
}
