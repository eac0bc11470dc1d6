// Fault injection: 1,000 open streams, every 10th of which fails at a random point (its handler,
// its source, its teardown, an abort listener, the onError callback, or the socket write). The
// process stays up, the 900 others receive every event, and the counters return to zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Observable, Subject } from 'rxjs';
import { Controller, Sse, createApp, type RequestContext } from '../../src/index.js';
import { createParser } from '../../src/protocol/parse.js';
import { eventually } from '../support/sse-client.js';

const STREAMS = 1000;
const ROUNDS = 20;
const FAULTS = [
  'handler-throws',
  'handler-rejects',
  'source-errors-before-open',
  'source-errors-mid-stream',
  'teardown-throws',
  'abort-listener-throws',
  'socket-write-throws',
  'flush-headers-throws',
  'invalid-event-mid-stream',
  'onerror-throws',
] as const;
type Fault = (typeof FAULTS)[number];

/** A small seeded generator, so a failing run can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('1,000 streams, every 10th failing at a random point: the others get every event, nothing leaks', async () => {
  const seed = Number(process.env.FAULT_SEED ?? Date.now() % 100000);
  const rand = random(seed);
  const bus = new Subject<{ round: number }>();
  const plan = new Map<number, { fault: Fault; round: number }>();
  for (let i = 0; i < STREAMS; i += 10) {
    plan.set(i, { fault: FAULTS[Math.floor(rand() * FAULTS.length)], round: 1 + Math.floor(rand() * (ROUNDS - 2)) });
  }
  const reported: unknown[] = [];
  const stderr: unknown[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => void stderr.push(args);
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  @Controller()
  class Faulty {
    @Sse('s/:i')
    async stream(ctx: RequestContext) {
      const i = Number(ctx.params.i);
      const planned = plan.get(i);
      const fault = planned?.fault;
      if (fault === 'handler-throws') throw new Error(`injected: handler ${i}`);
      if (fault === 'handler-rejects') {
        await new Promise((r) => setImmediate(r));
        throw new Error(`injected: async handler ${i}`);
      }
      if (fault === 'socket-write-throws') {
        const res = ctx.res;
        const write = res.write.bind(res);
        let writes = 0;
        res.write = ((chunk: unknown, ...rest: never[]) => {
          if (++writes > planned!.round) throw new Error(`injected: socket write ${i}`);
          return write(chunk as never, ...rest);
        }) as typeof res.write;
      }
      if (fault === 'flush-headers-throws') {
        ctx.res.flushHeaders = () => {
          throw new Error(`injected: flushHeaders ${i}`);
        };
      }
      if (fault === 'abort-listener-throws') {
        ctx.signal.addEventListener('abort', () => {
          throw new Error(`injected: abort listener ${i}`);
        });
      }
      return new Observable<{ data: string; id?: string }>((subscriber) => {
        if (fault === 'source-errors-before-open') {
          subscriber.error(new Error(`injected: source before open ${i}`));
          return;
        }
        const sub = bus.subscribe(({ round }) => {
          if (planned && round === planned.round) {
            if (fault === 'source-errors-mid-stream') return subscriber.error(new Error(`injected: source ${i}`));
            if (fault === 'invalid-event-mid-stream') return subscriber.next({ data: 'x', id: 'bad\nid' });
            if (fault === 'onerror-throws') return subscriber.error(new Error(`onerror-throws ${i}`));
          }
          subscriber.next({ data: `${i}:${round}` });
        });
        return () => {
          sub.unsubscribe();
          if (fault === 'teardown-throws') throw new Error(`injected: teardown ${i}`);
        };
      });
    }
  }

  const app = createApp({
    controllers: [Faulty],
    heartbeatMs: 0,
    onError: (err) => {
      reported.push(err);
      if (String((err as Error)?.message).startsWith('onerror-throws')) throw new Error('injected: onError');
    },
  });
  await app.listen(0, '127.0.0.1');
  const port = app.address!.port;

  interface Client { i: number; socket: Socket; data: string[]; types: string[]; status: number; closed: Promise<void>; headerDone: boolean }
  const clients: Client[] = [];
  try {
    for (let i = 0; i < STREAMS; i++) {
      const socket = connect(port, '127.0.0.1');
      const client: Client = { i, socket, data: [], types: [], status: 0, headerDone: false, closed: new Promise((r) => socket.once('close', () => r())) };
      const parser = createParser({ onEvent: (e) => { client.data.push(e.data); client.types.push(e.type); } });
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        if (client.headerDone) return parser.feed(chunk);
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        client.headerDone = true;
        client.status = Number(head.slice(9, 12));
        let body = Buffer.from(head.slice(end + 4), 'latin1');
        // Chunked framing: strip chunk-size lines by parsing the de-chunked body below.
        parser.feed(body);
      });
      socket.on('error', () => undefined);
      socket.write(`GET /s/${i} HTTP/1.0\r\nHost: x\r\n\r\n`);
      clients.push(client);
    }
    const healthy = clients.filter((c) => !plan.has(c.i));
    await eventually(() => healthy.every((c) => c.headerDone), 30_000, 'every healthy stream to open');
    await eventually(() => app.stats.openStreams >= healthy.length, 30_000, 'the healthy streams to be counted');
    for (let round = 0; round < ROUNDS; round++) {
      bus.next({ round });
      // One round per turn of the event loop, so faults land between flushes too.
      await new Promise((r) => setImmediate(r));
    }
    await eventually(() => healthy.every((c) => c.data.length === ROUNDS), 30_000, 'every healthy client to get every event');
    for (const c of healthy) {
      assert.equal(c.status, 200);
      assert.deepEqual(c.data, Array.from({ length: ROUNDS }, (_, r) => `${c.i}:${r}`), `stream ${c.i}`);
    }
    // Faulty streams ended on their own (error response, error event, or cut) except those whose
    // fault only fires on teardown or in an abort listener.
    const lingering = clients.filter((c) => plan.has(c.i) && !['teardown-throws', 'abort-listener-throws'].includes(plan.get(c.i)!.fault));
    await Promise.all(lingering.map((c) => c.closed));
    for (const c of clients) c.socket.destroy();
    await Promise.all(clients.map((c) => c.closed));
    await eventually(() => app.stats.openStreams === 0, 10_000, `app.stats.openStreams to return to 0 (seed ${seed})`);
    assert.deepEqual(uncaught, [], `seed ${seed}`);
    // Every injected failure was reported through onError (or to stderr when onError itself threw).
    const injected = [...plan.values()].filter((p) => p.fault !== 'onerror-throws').length;
    assert.ok(reported.length >= injected, `seed ${seed}: ${reported.length} reports for ${injected} injected faults`);
    const onErrorThrows = [...plan.values()].filter((p) => p.fault === 'onerror-throws').length;
    assert.equal(stderr.filter((args) => /onError callback threw/.test(String((args as unknown[])[0]))).length, onErrorThrows);
  } finally {
    console.error = originalError;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    for (const c of clients) c.socket.destroy();
    await app.close();
  }
});
