// The server that plays conformance fixtures over real HTTP, and the page the browser runs them in.
import { build } from 'esbuild';
import { chunkBytes, type Fixture } from './fixtures.js';
import { startServer, type TestServer } from '../helpers.js';

const PAGE = '<!doctype html><meta charset="utf-8"><title>eventide conformance</title><script src="/harness.js"></script>';

/** Bundles the recorder and eventide's client for the browser (esbuild, one IIFE). */
export async function bundleHarness(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('./browser-entry.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * GET /fixture/<name>/<run>: the first request plays the fixture's chunks, one write each with a
 * short pause between (so they travel as separate reads as far as TCP allows), then ends the
 * response; a reconnect to the same path gets 204 so that no client reconnects forever.
 * GET / is the page, GET /harness.js the bundle.
 */
export async function startPlayServer(fixtures: Fixture[], harness: string): Promise<TestServer> {
  const byName = new Map(fixtures.map((fixture) => [fixture.name, fixture]));
  const played = new Set<string>();
  return startServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    if (path === '/harness.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(harness);
      return;
    }
    const status = /^\/status\/(\d+)\/[^/]+$/.exec(path);
    if (status) {
      // A response that is not an event stream: a status, or 200 with the wrong content type.
      const code = Number(status[1]);
      res.writeHead(code, code === 200 ? { 'content-type': 'text/plain' } : {}).end(code === 204 ? undefined : 'data: no\n\n');
      return;
    }
    if (path.startsWith('/then-204/')) {
      // One event with an id, a short retry, then 204 to the reconnect that carries that id.
      res.writeHead(played.has(path) ? 204 : 200, { 'content-type': 'text/event-stream' });
      if (!played.has(path)) {
        played.add(path);
        res.end('retry: 10\nid: 5\ndata: a\n\n');
      } else if (req.headers['last-event-id'] === '5') res.end();
      else res.destroy(); // a missing Last-Event-ID shows as an extra reconnect in the trace
      return;
    }
    const match = /^\/fixture\/([^/]+)\/([^/]+)$/.exec(path);
    const fixture = match ? byName.get(match[1]!) : undefined;
    if (!fixture) {
      res.writeHead(404).end();
      return;
    }
    if (played.has(path)) {
      res.writeHead(204).end();
      return;
    }
    played.add(path);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    for (const chunk of fixture.chunks) {
      await new Promise<void>((resolve, reject) => res.write(chunkBytes(chunk), (error) => (error ? reject(error) : resolve())));
      // Pacing, not waiting for an outcome: gives each chunk its own TCP segment and read.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    res.end();
  });
}
