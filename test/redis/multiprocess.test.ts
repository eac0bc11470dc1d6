// Three app processes on one Redis, clients spread over them. One process is SIGKILLed while
// events are being published; its clients reconnect to a survivor with Last-Event-ID, and every
// client ends with exactly the published sequence, in order.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { Hub } from '../../src/hub/index.js';
import { redisBackend } from '../../src/redis/index.js';
import { REDIS_URL, deleteKeys, skipUnlessRedis, uniquePrefix, waitFor } from './helpers.js';

const skip = await skipUnlessRedis();
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/app-process.ts', import.meta.url));

interface AppProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

function startApp(keyPrefix: string): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: root,
    env: { ...process.env, REDIS_URL, KEY_PREFIX: keyPrefix },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('an app process did not start within 30 s')), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`an app process exited with code ${code} before listening`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
  });
}

/**
 * A client of the test's "load balancer": it prefers one process and, when that one refuses the
 * connection, tries the next, as a balancer's health check would. The URL path and the
 * Last-Event-ID header the client sends are kept as they are.
 */
function failoverFetch(origins: readonly string[], preferred: number): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    let lastError: unknown;
    for (let i = 0; i < origins.length; i++) {
      const origin = new URL(origins[(preferred + i) % origins.length]);
      url.host = origin.host;
      try {
        return await fetch(url, init);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }) as typeof fetch;
}

describe('redis backend: several app processes', { skip }, () => {
  const prefix = uniquePrefix('multi');
  const apps: AppProcess[] = [];
  const clients: EventSource[] = [];
  let hub: Hub | undefined;

  after(async () => {
    for (const client of clients) client.close();
    await Promise.all(
      apps.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await hub?.close();
    await deleteKeys(prefix);
  });

  // todo until the connection writes HubEvents (which carry `channel`) as events: today it sends
  // them JSON-wrapped as data, without `id:`, so no client can resume. With the route mapping each
  // event to { id, data, type, retry } this test passes (about 3 s); remove the todo with the fix.
  it('every client gets exactly the published sequence though one process is SIGKILLed', {
    todo: 'connection JSON-wraps HubEvents (extra `channel` key), so ids never reach the wire',
  }, async () => {
    apps.push(...(await Promise.all([startApp(prefix), startApp(prefix), startApp(prefix)])));
    const origins = apps.map((a) => a.url);
    const room = 'lobby';

    const CLIENTS = 9;
    const received: string[][] = Array.from({ length: CLIENTS }, () => []);
    const gaps: number[] = Array.from({ length: CLIENTS }, () => 0);
    const opens: number[] = Array.from({ length: CLIENTS }, () => 0);
    for (let i = 0; i < CLIENTS; i++) {
      const preferred = i % apps.length;
      const source = new EventSource(`${origins[preferred]}/events/${room}`, { fetch: failoverFetch(origins, preferred) });
      source.addEventListener('open', () => opens[i]++);
      source.addEventListener('message', (e) => received[i].push(e.data as string));
      source.addEventListener('eventide-gap', () => gaps[i]++);
      clients.push(source);
    }
    await waitFor('every client to connect', () => opens.every((n) => n === 1), 20_000);

    // The publisher is a process of its own on the same Redis.
    const backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
    hub = new Hub({ backend });
    await backend.ready();
    const TOTAL = 150;
    const KILL_AT = 50;
    const published: string[] = [];
    let killedAt = 0;
    for (let n = 0; n < TOTAL; n++) {
      const value = `m${n}`;
      // retry: 100 makes reconnects quick (the client's default wait is seconds).
      await hub.publish(room, n === 0 ? { data: value, retry: 100 } : { data: value });
      published.push(value);
      if (n === KILL_AT) {
        apps[0].child.kill('SIGKILL');
        killedAt = Date.now();
      }
      if (n % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(killedAt > 0);

    await waitFor('every client to hold the whole sequence', () => received.every((r) => r.length >= TOTAL), 30_000).catch(
      (err: Error) => {
        const state = received.map((r, i) => `client ${i}: ${r.length} events, ${opens[i]} opens, last ${r.at(-1)}`);
        throw new Error(`${err.message}\n${state.join('\n')}`);
      },
    );
    for (let i = 0; i < CLIENTS; i++) {
      assert.deepEqual(received[i], published, `client ${i} (first on process ${i % apps.length})`);
      assert.equal(gaps[i], 0, `client ${i} got no gap signal`);
    }
    // The killed process's clients reconnected (to a survivor); the others never had to.
    for (let i = 0; i < CLIENTS; i++) assert.equal(opens[i], i % apps.length === 0 ? 2 : 1, `opens of client ${i}`);
    const stream = await backend.readAfter(room, backend.zeroId);
    assert.deepEqual(stream.events.map((e) => e.data), published, 'Redis holds the same sequence');
  });
});
