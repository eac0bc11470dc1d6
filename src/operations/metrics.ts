// Prometheus metrics through prom-client (an optional peer dependency: only `eventide/metrics`
// imports it). Streams by route, closes by reason, events and bytes written, slow clients, 503s,
// errors by code, drains; hub publishes, publish latency, backend errors, follow lag, subscriptions.
// Labels are route patterns and fixed words: never raw paths, and channel names only on request.
import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import type { HubBackend, StoredEvent } from '../hub/backend.js';
import { Controller, Get } from '../router/decorators.js';
import type { RequestContext } from '../core/context.js';
import { EventideError } from '../errors.js';
import type { OperationsEvent, OperationsListener } from './events.js';

/** What metrics need of an app (the node `App`, or another platform's). */
export interface MetricsApp {
  observe(listener: OperationsListener): () => void;
  openStreams(): Iterable<{ readonly route: string; readonly eventsWritten: number; readonly bytesWritten: number }>;
  readonly draining?: boolean;
}

/** What metrics read of a hub. `laggingSubscriptions` is read when the hub has it. */
export interface MetricsHub {
  readonly subscriptionCount: number;
  readonly activeChannels: number;
  readonly laggingSubscriptions?: number;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** The registry to register on (default: prom-client's default registry). */
  registry?: Registry;
  /** Prefix of every metric name (default `eventide_`). */
  prefix?: string;
  /**
   * Adds a `channel` label to hub publish metrics (default `false`). Only for a small, fixed set
   * of channel names: each name is a time series.
   */
  channelLabels?: boolean;
}

/** The metrics of one registry; apps, hubs and backends are attached to it. */
export interface EventideMetrics {
  readonly registry: Registry;
  /** Counts an app's streams and errors; returns the function that detaches it. */
  observeApp(app: MetricsApp): () => void;
  /**
   * Wraps a hub backend to count publishes (and their latency), backend errors and the lag of
   * live delivery (storage time to arrival here: the Redis follower lag). Other members pass through.
   */
  instrumentBackend<B extends HubBackend>(backend: B): B;
  /** Reports a hub's subscriptions, channels and (when the hub exposes it) lagging subscribers. */
  observeHub(hub: MetricsHub): () => void;
}

const ROUTE_UNKNOWN = 'unknown';
const routeLabel = (route: string) => (route === '' ? ROUTE_UNKNOWN : route);

interface RouteTotals {
  events: number;
  bytes: number;
}

/**
 * Registers eventide's metrics on a registry. Call once per registry.
 *
 * @example
 * ```ts
 * import { createMetrics, metricsController } from 'eventide/metrics';
 * const metrics = createMetrics();
 * const hub = new Hub({ backend: metrics.instrumentBackend(redisBackend({ url })) });
 * const app = createApp({ controllers: [News, metricsController()] });
 * metrics.observeApp(app);
 * metrics.observeHub(hub);
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): EventideMetrics {
  if (options === null || typeof options !== 'object') throw new EventideError('EVENTIDE_INVALID_OPTION', 'createMetrics(options) takes an object');
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'eventide_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new EventideError('EVENTIDE_INVALID_OPTION', `createMetrics option \`prefix\` must be a Prometheus name prefix like "eventide_", got ${JSON.stringify(prefix)}`);
  }
  const channelLabels = options.channelLabels === true;
  const registers = [registry];
  const apps = new Set<MetricsApp>();
  const hubs = new Set<MetricsHub>();
  /** Events and bytes of closed streams, per route: open streams are summed at each scrape. */
  const closedTotals = new Map<string, RouteTotals>();
  const reported = new Map<string, RouteTotals>();
  const seenRoutes = new Set<string>();

  const routeTotals = (): Map<string, RouteTotals> => {
    const totals = new Map<string, RouteTotals>();
    for (const [route, t] of closedTotals) totals.set(route, { ...t });
    for (const app of apps) {
      for (const stream of app.openStreams()) {
        const route = routeLabel(stream.route);
        const t = totals.get(route) ?? { events: 0, bytes: 0 };
        t.events += stream.eventsWritten;
        t.bytes += stream.bytesWritten;
        totals.set(route, t);
      }
    }
    return totals;
  };
  // Both counters are filled from the same scrape-time totals; each keeps the value it reported.
  const syncWritten = (metric: Counter<string>, which: keyof RouteTotals) => {
    for (const [route, t] of routeTotals()) {
      let last = reported.get(route);
      if (!last) reported.set(route, (last = { events: 0, bytes: 0 }));
      const delta = t[which] - last[which];
      if (delta > 0) metric.inc({ route }, delta);
      last[which] = t[which];
    }
  };

  const open = new Gauge({
    name: `${prefix}streams_open`,
    help: 'SSE streams open now, by route pattern',
    labelNames: ['route'],
    registers,
    collect() {
      const counts = new Map<string, number>();
      for (const route of seenRoutes) counts.set(route, 0);
      for (const app of apps) for (const s of app.openStreams()) counts.set(routeLabel(s.route), (counts.get(routeLabel(s.route)) ?? 0) + 1);
      for (const [route, n] of counts) this.set({ route }, n);
    },
  });
  const opened = new Counter({ name: `${prefix}streams_opened_total`, help: 'SSE streams opened, by route pattern', labelNames: ['route'], registers });
  const closed = new Counter({
    name: `${prefix}streams_closed_total`,
    help: 'SSE streams closed, by route pattern and reason (complete, error, client, slow-client, server, drain, no-content)',
    labelNames: ['route', 'reason'],
    registers,
  });
  const duration = new Histogram({
    name: `${prefix}stream_duration_seconds`,
    help: 'How long SSE streams stayed open, by route pattern',
    labelNames: ['route'],
    buckets: [1, 10, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600],
    registers,
  });
  const slow = new Counter({ name: `${prefix}slow_clients_closed_total`, help: 'Streams closed because the client did not read fast enough', labelNames: ['route'], registers });
  const rejected = new Counter({ name: `${prefix}streams_rejected_total`, help: 'Streams refused with 503, by route pattern and reason (limit, draining, closing)', labelNames: ['route', 'reason'], registers });
  new Counter({
    name: `${prefix}events_written_total`,
    help: 'SSE events written to clients (comments and heartbeats not counted), by route pattern',
    labelNames: ['route'],
    registers,
    collect() {
      syncWritten(this, 'events');
    },
  });
  new Counter({
    name: `${prefix}bytes_written_total`,
    help: 'Bytes written to SSE clients, by route pattern',
    labelNames: ['route'],
    registers,
    collect() {
      syncWritten(this, 'bytes');
    },
  });
  const errors = new Counter({ name: `${prefix}errors_total`, help: 'Server-side errors reported, by eventide error code', labelNames: ['code'], registers });
  new Gauge({
    name: `${prefix}draining`,
    help: '1 while an app is draining',
    registers,
    collect() {
      let draining = 0;
      for (const app of apps) if (app.draining) draining = 1;
      this.set(draining);
    },
  });

  const publishLabels = channelLabels ? ['outcome', 'channel'] : ['outcome'];
  const publishes = new Counter({ name: `${prefix}hub_publishes_total`, help: 'Hub publishes (backend appends), by outcome (ok, error)', labelNames: publishLabels, registers });
  const publishSeconds = new Histogram({
    name: `${prefix}hub_publish_duration_seconds`,
    help: 'Time from publish to the backend storing the event',
    labelNames: channelLabels ? ['channel'] : [],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const backendErrors = new Counter({ name: `${prefix}backend_errors_total`, help: 'Hub backend failures, by operation (append, read, follow)', labelNames: ['operation'], registers });
  const followLag = new Histogram({
    name: `${prefix}hub_follow_lag_seconds`,
    help: 'Time from the backend storing an event to its live delivery in this process (the Redis follower lag)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers,
  });
  new Gauge({
    name: `${prefix}hub_subscriptions`,
    help: 'Hub subscriptions open in this process',
    registers,
    collect() {
      let n = 0;
      for (const hub of hubs) n += hub.subscriptionCount;
      this.set(n);
    },
  });
  new Gauge({
    name: `${prefix}hub_channels`,
    help: 'Channels this process follows (one feed per channel with subscribers)',
    registers,
    collect() {
      let n = 0;
      for (const hub of hubs) n += hub.activeChannels;
      this.set(n);
    },
  });
  new Gauge({
    name: `${prefix}hub_lagging_subscriptions`,
    help: 'Hub subscriptions catching up from history (reported when the hub exposes laggingSubscriptions)',
    registers,
    collect() {
      let n = 0;
      for (const hub of hubs) if (typeof hub.laggingSubscriptions === 'number') n += hub.laggingSubscriptions;
      this.set(n);
    },
  });

  const onEvent = (event: OperationsEvent) => {
    switch (event.type) {
      case 'stream.opened': {
        const route = routeLabel(event.route);
        seenRoutes.add(route);
        opened.inc({ route });
        return;
      }
      case 'stream.closed': {
        const route = routeLabel(event.route);
        closed.inc({ route, reason: event.reason });
        duration.observe({ route }, event.durationMs / 1000);
        if (event.reason === 'slow-client') slow.inc({ route });
        const t = closedTotals.get(route) ?? { events: 0, bytes: 0 };
        t.events += event.events;
        t.bytes += event.bytes;
        closedTotals.set(route, t);
        return;
      }
      case 'stream.rejected':
        rejected.inc({ route: routeLabel(event.route), reason: event.reason });
        return;
      case 'error':
        errors.inc({ code: event.code });
        return;
      default:
        return;
    }
  };

  return {
    registry,
    observeApp(app) {
      if (!app || typeof app.observe !== 'function' || typeof app.openStreams !== 'function') {
        throw new EventideError('EVENTIDE_INVALID_OPTION', 'observeApp(app) takes an eventide app (with observe() and openStreams())');
      }
      apps.add(app);
      const stop = app.observe(onEvent);
      return () => {
        stop();
        if (!apps.delete(app)) return;
        // What its open streams wrote so far stays counted.
        for (const s of app.openStreams()) {
          const route = routeLabel(s.route);
          const t = closedTotals.get(route) ?? { events: 0, bytes: 0 };
          t.events += s.eventsWritten;
          t.bytes += s.bytesWritten;
          closedTotals.set(route, t);
        }
      };
    },
    observeHub(hub) {
      if (!hub || typeof hub.subscriptionCount !== 'number') {
        throw new EventideError('EVENTIDE_INVALID_OPTION', 'observeHub(hub) takes an eventide Hub');
      }
      hubs.add(hub);
      return () => {
        hubs.delete(hub);
      };
    },
    instrumentBackend<B extends HubBackend>(backend: B): B {
      if (!backend || typeof backend.append !== 'function') {
        throw new EventideError('EVENTIDE_INVALID_OPTION', 'instrumentBackend(backend) takes a HubBackend');
      }
      const append: HubBackend['append'] = async (channel, record, limits) => {
        const labels = channelLabels ? { channel } : {};
        const stop = publishSeconds.startTimer(labels);
        try {
          const stored = await backend.append(channel, record, limits);
          stop();
          publishes.inc({ outcome: 'ok', ...labels });
          return stored;
        } catch (err) {
          publishes.inc({ outcome: 'error', ...labels });
          backendErrors.inc({ operation: 'append' });
          throw err;
        }
      };
      const readAfter: HubBackend['readAfter'] = async (...args) => {
        try {
          return await backend.readAfter(...args);
        } catch (err) {
          backendErrors.inc({ operation: 'read' });
          throw err;
        }
      };
      const follow: HubBackend['follow'] = (channel, after, onEvent, onError) =>
        backend.follow(
          channel,
          after,
          (event: StoredEvent) => {
            followLag.observe(Math.max(0, Date.now() - event.time) / 1000);
            onEvent(event);
          },
          (error: Error) => {
            backendErrors.inc({ operation: 'follow' });
            onError?.(error);
          },
        );
      const wrapped = { append, readAfter, follow } as Record<string | symbol, unknown>;
      return new Proxy(backend, {
        get(target, key) {
          if (Object.prototype.hasOwnProperty.call(wrapped, key)) return wrapped[key];
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
}

/** Options of {@link metricsController}. */
export interface MetricsControllerOptions {
  /** The registry to expose (default: prom-client's default registry). */
  registry?: Registry;
  /** The route's path (default `/metrics`). */
  path?: string;
}

/**
 * A controller serving the Prometheus exposition text of a registry at `/metrics`, on any
 * platform that takes eventide controllers.
 */
export function metricsController(options: MetricsControllerOptions = {}): object {
  const registry = options.registry ?? defaultRegistry;
  const path = options.path ?? '/metrics';

  @Controller()
  class MetricsController {
    @Get(path)
    async metrics(ctx: RequestContext) {
      const text = await registry.metrics();
      ctx.setHeader('Content-Type', registry.contentType);
      ctx.setHeader('Cache-Control', 'no-store');
      return text;
    }
  }
  return new MetricsController();
}
