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
const WARM_UP = 'warm-up';
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
function failoverFetch(
  origins: readonly string[],
  preferred: number,
  sentIds: (string | null)[],
): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    sentIds.push(new Headers(init?.headers).get('last-event-id'));
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

  it('every client gets exactly the published sequence though one process is SIGKILLed', async () => {
    apps.push(...(await Promise.all([startApp(prefix), startApp(prefix), startApp(prefix)])));
    const origins = apps.map((a) => a.url);
    const room = 'lobby';

    const CLIENTS = 9;
    const received: string[][] = Array.from({ length: CLIENTS }, () => []);
    const gaps: number[] = Array.from({ length: CLIENTS }, () => 0);
    const opens: number[] = Array.from({ length: CLIENTS }, () => 0);
    const sentIds: (string | null)[][] = Array.from({ length: CLIENTS }, () => []);
    const lastIds: string[] = Array.from({ length: CLIENTS }, () => '');
    const idAtDrop: string[] = Array.from({ length: CLIENTS }, () => '');
    const warmedUp: boolean[] = Array.from({ length: CLIENTS }, () => false);
    for (let i = 0; i < CLIENTS; i++) {
      const preferred = i % apps.length;
      const source = new EventSource(`${origins[preferred]}/events/${room}`, {
        fetch: failoverFetch(origins, preferred, sentIds[i]),
      });
      source.addEventListener('open', () => opens[i]++);
      source.addEventListener('message', (e) => {
        if (e.data !== WARM_UP) received[i].push(e.data as string);
        else warmedUp[i] = true;
        lastIds[i] = e.lastEventId;
      });
      source.addEventListener('eventide-gap', () => gaps[i]++);
      source.addEventListener('error', () => (idAtDrop[i] = lastIds[i]));
      clients.push(source);
    }
    await waitFor('every client to connect', () => opens.every((n) => n === 1), 20_000);

    // The publisher is a process of its own on the same Redis.
    const backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
    hub = new Hub({ backend });
    await backend.ready();
    // Warm up: a client resumes from the last id it holds, and one that connected but holds none yet
    // would rightly start from the present after a reconnect. So every client first receives an
    // event (which also sets retry: 100, making reconnects quick); then the sequence starts.
    // A warm-up published before a subscription was live passes it by: publish again until all have one.
    for (let attempt = 1; !warmedUp.every(Boolean); attempt++) {
      assert.ok(attempt <= 20, 'every client receives a warm-up event');
      await hub.publish(room, { data: WARM_UP, retry: 100 });
      await waitFor('the warm-up event', () => warmedUp.every(Boolean), 1000).catch(() => undefined);
    }

    const TOTAL = 150;
    const KILL_AT = 50;
    const published: string[] = [];
    let killedAt = 0;
    const idsAtKill: string[] = [];
    for (let n = 0; n < TOTAL; n++) {
      const value = `m${n}`;
      await hub.publish(room, { data: value });
      published.push(value);
      if (n === KILL_AT) {
        apps[0].child.kill('SIGKILL');
        killedAt = Date.now();
        idsAtKill.push(...lastIds);
      }
      // Pace the rest so that the cut-off clients reconnect while publishing goes on.
      if (killedAt > 0) await new Promise((resolve) => setTimeout(resolve, 4));
      else if (n % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(killedAt > 0);

    await waitFor('every client to hold the whole sequence', () => received.every((r) => r.length >= TOTAL), 30_000).catch(
      (err: Error) => {
        const state = received.map(
          (r, i) =>
            `client ${i}: ${r.length} events, ${opens[i]} opens, missing ${published.filter((p) => !r.includes(p)).join(' ')}`,
        );
        throw new Error(`${err.message}\n${state.join('\n')}`);
      },
    );
    for (let i = 0; i < CLIENTS; i++) {
      assert.deepEqual(received[i], published, `client ${i} (first on process ${i % apps.length})`);
      assert.equal(gaps[i], 0, `client ${i} got no gap signal`);
    }
    // The killed process's clients reconnected (to a survivor) with Last-Event-ID, while publishing
    // went on; the others never had to reconnect.
    for (let i = 0; i < CLIENTS; i++) {
      const cutOff = i % apps.length === 0;
      assert.equal(opens[i], cutOff ? 2 : 1, `opens of client ${i}`);
      if (!cutOff) continue;
      assert.equal(sentIds[i][0], null, 'the first connection had no Last-Event-ID');
      // It resumed exactly where the dead process had left it.
      assert.equal(sentIds[i].at(-1), idAtDrop[i], `client ${i} sent the id of its last event`);
      assert.ok(backend.isValidId(idAtDrop[i]) && backend.compareIds(idAtDrop[i], idsAtKill[i]) >= 0);
    }
    const stream = await backend.readAfter(room, backend.zeroId);
    assert.deepEqual(
      stream.events.map((e) => e.data).filter((data) => data !== WARM_UP),
      published,
      'Redis holds the same sequence',
    );
  });
});
