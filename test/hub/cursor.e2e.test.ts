// Behind is not slow: a client that never reads is closed once it has taken nothing for the hub's
// stallTimeoutMs (with the server's memory bounded meanwhile); a client that reads ten times
// slower than the publisher (for 30 s) is never closed, gets every retained event and a gap signal where its
// position fell out of the history. And anchors live on the wire only: the `map` idiom sends no
// bogus message and a reconnect still resumes from the anchor.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { map } from 'rxjs';
import { Controller, Sse, createApp, type App, type RequestContext } from '../../src/index.js';
import { GAP_EVENT_TYPE, Hub, type HubEvent } from '../../src/hub/index.js';
import { createParser } from '../../src/protocol/parse.js';
import type { ParsedEvent } from '../../src/protocol/types.js';
import { waitFor } from './helpers.js';

const FIXTURE = new URL('./fixtures/readers.mjs', import.meta.url).pathname;

interface ReaderReport {
  count: number;
  errorCount: number;
  errors: string[];
  gaps: { atCount: number; atN: number; data: { channels: string[]; lastEventId: string | null } }[];
  closed: boolean;
  done: boolean;
}

async function serve(hub: Hub): Promise<App> {
  @Controller()
  class Routes {
    @Sse('feed')
    feed(ctx: RequestContext) {
      return hub.subscribe('feed', { lastEventId: ctx.lastEventId });
    }

    @Sse('news')
    news(ctx: RequestContext) {
      return hub.subscribe('news', { lastEventId: ctx.lastEventId }).pipe(map((e) => ({ data: { headline: e.data } })));
    }
  }
  const app = createApp({ controllers: [new Routes()], onError: () => undefined });
  await app.listen(0, '127.0.0.1');
  return app;
}

/** A raw client that reads the response headers, then stops reading. */
async function stoppedClient(port: number, path: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  let head = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        socket.pause();
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  });
  socket.on('error', () => undefined);
  return socket;
}

/** Reads an SSE response with the protocol parser until `until` holds or the stream ends. */
function readStream(url: string, lastEventId: string | undefined, until: (events: ParsedEvent[], lastId: string) => boolean) {
  const events: ParsedEvent[] = [];
  let raw = '';
  const parser = createParser({ onEvent: (e) => events.push(e) });
  return new Promise<{ events: ParsedEvent[]; lastEventId: string; raw: string }>((resolve, reject) => {
    const req = request(url, { agent: false, headers: lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId } }, (res) => {
      res.on('data', (chunk: Buffer) => {
        raw += chunk.toString();
        parser.feed(chunk);
        if (until(events, parser.lastEventId)) {
          req.destroy();
          resolve({ events, lastEventId: parser.lastEventId, raw });
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('behind is not slow', () => {
  it('closes a client that takes nothing for stallTimeoutMs, holding no more than its high-water mark meanwhile', { timeout: 60_000 }, async () => {
    const stallTimeoutMs = 800;
    const events = 5000;
    const payload = 'n'.repeat(4096);
    const hub = new Hub({ history: { maxEvents: events }, stallTimeoutMs });
    const app = await serve(hub);
    const stopped = await stoppedClient(app.address!.port, '/feed');
    try {
      await waitFor(() => hub.subscriptionCount === 1, 'the stopped client to subscribe');
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
      let closedAfter = 0;
      try {
        const started = Date.now();
        await Promise.all(Array.from({ length: events }, (_, n) => hub.publish('feed', { data: `${n}:${payload}` })));
        await waitFor(() => app.stats.slowClientsClosed === 1, 'the stopped client to be closed', 20_000);
        closedAfter = Date.now() - started;
      } finally {
        clearInterval(sampler);
      }
      assert.ok(closedAfter >= stallTimeoutMs, `closed only after the stall timeout (${closedAfter} ms)`);
      assert.equal(hub.subscriptionCount, 0, 'its subscription was released');
      // The 20 MB burst is history (3 copies: text, body, frame); the stopped client holds at most
      // its high-water mark (512 KiB) plus a read-ahead slice, never the burst.
      const grew = rssPeak - rssBefore;
      const bound = 3 * events * payload.length + 2 * 1024 * 1024 + 64 * 1024 * 1024;
      console.log(`# stopped client closed after ${closedAfter} ms (stallTimeoutMs ${stallTimeoutMs}); RSS +${(grew / 2 ** 20).toFixed(1)} MiB (bound ${(bound / 2 ** 20).toFixed(1)} MiB)`);
      assert.ok(grew <= bound, `RSS grew ${(grew / 2 ** 20).toFixed(1)} MiB`);
    } finally {
      stopped.destroy();
      await app.close();
      await hub.close();
    }
  });

  it('never closes a reader ten times slower than the publisher: it gets what is retained and a gap signal where history ran out', { timeout: 240_000 }, async () => {
    // Progress is seen per completed write (at most the 512 KiB high-water mark): 3 s lets a
    // 512 KB/s reader show it many times over.
    const hub = new Hub({ history: { maxEvents: 500 }, stallTimeoutMs: 3000 });
    const app = await serve(hub);
    // The publisher runs for SLOW_READER_SECONDS (default 30, the case the hub is built for).
    const seconds = Number(process.env.SLOW_READER_SECONDS ?? 30);
    const total = seconds * 5000;
    const child = spawn(process.execPath, [FIXTURE], {
      env: { ...process.env, URL: `${app.url}/feed`, CLIENTS: '1', EXPECT: String(total), RATE: String(512 * 1024) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout! });
      const report = new Promise<ReaderReport>((resolve, reject) => {
        lines.on('line', (line) => line.startsWith('{') && resolve((JSON.parse(line) as { readers: ReaderReport[] }).readers[0]));
        child.once('exit', () => reject(new Error('the reader exited without a report')));
      });
      report.catch(() => undefined);
      await new Promise<void>((resolve) => lines.on('line', (line) => line === 'ready' && resolve()));
      // The publisher: 5 MB/s (5,000 events of 1 KB a second) for `seconds`; the reader takes 512 KB/s.
      const payload = 'r'.repeat(1000);
      const ids: string[] = [];
      const started = Date.now();
      let n = 0;
      while (n < total) {
        const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * 5000) + 1);
        const batch: Promise<string>[] = [];
        for (; n < due; n++) batch.push(hub.publish('feed', { data: `${n}:${payload}` }));
        ids.push(...(await Promise.all(batch)));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const r = await report;
      assert.equal(r.closed, false, 'the reader was never disconnected');
      assert.equal(r.done, true, 'it reached the last event');
      assert.equal(app.stats.slowClientsClosed, 0, 'never closed as slow');
      assert.equal(r.errorCount, 0, `between gap signals, every event in order (${r.errors.join('; ')})`);
      assert.ok(r.gaps.length >= 1, 'history ran out under it: a gap signal');
      for (const gap of r.gaps) {
        // The signal says where the reader stood: the id of the last event it had.
        assert.equal(gap.data.lastEventId, ids[gap.atN - 1], 'the gap signal names the last event it had');
      }
      // After the last gap it got everything retained up to the end.
      const afterLast = r.count - r.gaps.at(-1)!.atCount;
      assert.ok(afterLast >= 500, `after the last gap, at least the retained history (${afterLast} events)`);
      console.log(`# slow reader: published for ${((Date.now() - started) / 1000).toFixed(1)} s; ${r.count} of ${total} events, ${r.gaps.length} gap signal(s), never closed`);
    } finally {
      child.kill('SIGKILL');
      await app.close();
      await hub.close();
    }
  });
});

describe('anchors live on the wire only', () => {
  it('the map idiom sends no bogus message on connect, and a reconnect resumes from the anchor', { timeout: 30_000 }, async () => {
    const hub = new Hub();
    const app = await serve(hub);
    try {
      const head = await hub.publish('news', { data: 'old' });
      // Connect: the first bytes are the anchor, a lone id line that dispatches nothing.
      const first = await readStream(`${app.url}/news`, undefined, (_, lastId) => lastId !== '');
      assert.equal(first.raw, `id: ${head}\n\n`, 'only the anchor on the wire');
      assert.deepEqual(first.events, [], 'no message was dispatched');
      assert.equal(first.lastEventId, head);
      // Away while two headlines are published; the reconnect resumes from the anchor's position.
      await hub.publish('news', { data: 'one' });
      await hub.publish('news', { data: 'two' });
      const again = await readStream(`${app.url}/news`, first.lastEventId, (events) => events.length === 2);
      assert.deepEqual(again.events.map((e) => JSON.parse(e.data)), [{ headline: 'one' }, { headline: 'two' }]);
      assert.deepEqual(again.events.map((e) => e.type), ['message', 'message']);
    } finally {
      await app.close();
      await hub.close();
    }
  });

  it('a plain rxjs subscriber never receives an anchor; gap signals stay visible to it', async () => {
    const hub = new Hub({ history: { maxEvents: 2 } });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await hub.publish('plain', { data: i }));
      const fresh: HubEvent[] = [];
      const resumed: HubEvent[] = [];
      const a = hub.subscribe('plain').subscribe((e) => fresh.push(e));
      const b = hub.subscribe('plain', { lastEventId: ids[0] }).subscribe((e) => resumed.push(e));
      await waitFor(() => resumed.length >= 1, 'the gap signal');
      ids.push(await hub.publish('plain', { data: 5 }));
      await waitFor(() => fresh.length === 1 && resumed.length === 2, 'the live event');
      assert.deepEqual(fresh.map((e) => [e.type, e.data, e.id]), [[undefined, 5, ids[5]]], 'no anchor, only the event');
      assert.equal(resumed[0].type, GAP_EVENT_TYPE, 'the gap signal is emitted');
      assert.deepEqual(resumed[1].data, 5);
      a.unsubscribe();
      b.unsubscribe();
    } finally {
      await hub.close();
    }
  });
});
