// One behaviour suite, many platforms: each platform provides a PlatformTarget; the suite's test
// bodies (test/platforms/suite.ts) run unchanged against every target.
import type { AppStats, ControllerInput } from '../../src/index.js';

/** Options the suite passes through to the app (the shared core options). */
export interface TargetAppOptions {
  controllers: readonly ControllerInput[];
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  maxQueuedEvents?: number;
  maxStreams?: number;
  maxStreamsPerAddress?: number;
  onError?: (err: unknown) => void;
  [option: string]: unknown;
}

/** A running server of one platform, serving eventide controllers. */
export interface RunningTarget {
  /** Base URL, e.g. `http://127.0.0.1:4321` (no trailing slash). */
  url: string;
  /** eventide's counters for this app. */
  stats: Readonly<AppStats>;
  /**
   * Makes a request and returns a fetch-like Response (HTTP/2 targets use node:http2 under the
   * hood; HTTP/1.1 targets may use global fetch).
   */
  request(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<Response>;
  /** Stops the server and everything it holds. */
  close(): Promise<void>;
}

export interface PlatformTarget {
  /** e.g. 'node:http', 'node:http2 h2c', 'express 5', 'fastify 5', 'nestjs/express'. */
  name: string;
  start(options: TargetAppOptions): Promise<RunningTarget>;
}
