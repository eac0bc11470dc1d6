// Three `eventide hub` processes on one real Redis form one hub: an update published to any of
// them reaches subscribers on all, and when one process is SIGKILLed while updates flow, its
// subscribers resume on the others with Last-Event-ID and receive every update, in order, once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deleteKeys, REDIS_URL, skipUnlessRedis, uniquePrefix, waitFor } from '../redis/helpers.js';
import { openStream } from '../support/sse-client.js';
import { HUB_PATH, publishOk, sign, SECRET, startHub, subscribeUrl } from './helpers.js';
import { freePort } from '../redis/helpers.js';
import { startHubProcess, type HubProcess } from './processes.js';

const skip = await skipUnlessRedis();

/** A subscriber that follows its stream and, when it ends, resumes on the next live process. */
class ResumingSubscriber {
  readonly ids: string[] = [];
  readonly hubsUsed: string[] = [];
  #stopped = false;
  #current: Awaited<ReturnType<typeof openStream>> | undefined;
  readonly done: Promise<void>;

  constructor(
    private readonly selectors: string[],
    private readonly pick: (attempt: number) => HubProcess,
    private readonly expected: number,
  ) {
    this.done = this.#run();
  }

  async #run(): Promise<void> {
    for (let attempt = 0; !this.#stopped && this.ids.length < this.expected; attempt++) {
      const hub = this.pick(attempt);
      const last = this.ids.at(-1);
      let stream;
      try {
        stream = await openStream(subscribeUrl(hub.url, this.selectors), { headers: last ? { 'Last-Event-ID': last } : {} });
      } catch {
        continue; // that process is gone: try the next
      }
      this.#current = stream;
      this.hubsUsed.push(hub.url);
      let seen = 0;
      await stream
        .waitFor(() => {
          for (; seen < stream.events.length; seen++) this.ids.push(stream.events[seen]!.id!);
          return this.ids.length >= this.expected || this.#stopped;
        }, 60_000, `${this.expected} updates`)
        .catch(() => {}); // the stream ended: resume elsewhere
      for (; seen < stream.events.length; seen++) this.ids.push(stream.events[seen]!.id!);
      await stream.close();
    }
  }

  /** Resolves once the subscriber has a stream open. */
  async ready(): Promise<void> {
    while (this.#current === undefined) await new Promise((r) => setTimeout(r, 5));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#current?.close();
    await this.done;
  }
}

describe('a cluster of three hub processes on Redis', { skip }, () => {
  const prefix = uniquePrefix('mercure-cluster');
  const hubs: HubProcess[] = [];
  before(async () => {
    for (let i = 0; i < 3; i++) {
      hubs.push(await startHubProcess(['--port', '0', '--jwt-key', SECRET, '--anonymous', '--redis-url', REDIS_URL, '--redis-prefix', prefix]));
    }
  });
  after(async () => {
    await Promise.all(hubs.map((h) => h.stop()));
    await deleteKeys(prefix);
  });

  test('updates published to one process reach subscribers of every process', async () => {
    const streams = await Promise.all(hubs.map((h) => openStream(subscribeUrl(h.url, ['https://e.com/fanout/{n}']))));
    try {
      const id = await publishOk(hubs[1]!.url, { topic: 'https://e.com/fanout/1', data: 'all' });
      for (const s of streams) {
        await s.waitForEvents(1);
        assert.equal(s.events[0]!.id, id);
      }
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });

  test('one process SIGKILLed while updates flow: its subscribers resume on the others with nothing lost, in order, none twice', async () => {
    const total = 300;
    const killAt = 100;
    const token = await sign({ mercure: { publish: ['*'] } });
    const alive = () => hubs.filter((h) => h.child.exitCode === null && h.child.signalCode === null);
    // Two subscribers per process; when their stream ends they move to the next live process.
    const subscribers = hubs.flatMap((_, i) =>
      [0, 1].map((k) => new ResumingSubscriber(['https://e.com/cluster/{n}'], (attempt) => {
        const live = alive();
        return attempt === 0 ? hubs[i]! : live[(i + k + attempt) % live.length]!;
      }, total)),
    );
    await Promise.all(subscribers.map((s) => s.ready()));
    const published: string[] = [];
    let killed: Promise<void> | undefined;
    try {
      for (let n = 0; n < total; n++) {
        if (n === killAt) killed = hubs[0]!.kill(); // no await: updates keep flowing meanwhile
        // Publish to the survivors only, one at a time: the order of publication is the order
        // every subscriber must see.
        const target = hubs[1 + (n % 2)]!;
        published.push(await publishOk(target.url, { topic: `https://e.com/cluster/${n}`, data: String(n), id: `u-${n}` }, token));
      }
      await killed;
      await Promise.all(subscribers.map((s) => s.done));
      for (const [i, s] of subscribers.entries()) {
        assert.equal(s.ids.length, total, `subscriber ${i} got ${s.ids.length} updates`);
        assert.deepEqual(s.ids, published, `subscriber ${i} saw every update in order, none twice`);
      }
      // The subscribers of the killed process really moved.
      for (const s of subscribers.slice(0, 2)) {
        assert.ok(s.hubsUsed.length >= 2, 'resumed on another process');
        assert.notEqual(s.hubsUsed.at(-1), hubs[0]!.url);
      }
    } finally {
      await Promise.all(subscribers.map((s) => s.stop()));
    }
  });
});

describe('the subscriptions API of a cluster lists the subscriptions of every process', { skip }, () => {
  const prefix = uniquePrefix('mercure-cluster-subs');
  const hubs: HubProcess[] = [];
  let token: string;
  before(async () => {
    token = await sign({ mercure: { subscribe: ['*'] } });
    const args = ['--port', '0', '--jwt-key', SECRET, '--anonymous', '--subscriptions', '--subscriptions-ttl', '1', '--redis-url', REDIS_URL, '--redis-prefix', prefix];
    for (let i = 0; i < 3; i++) hubs.push(await startHubProcess(args));
  });
  after(async () => {
    await Promise.all(hubs.map((h) => h.stop()));
    await deleteKeys(prefix);
  });

  /** The `match` of every subscription a process lists under `path` (the collection by default). */
  async function listed(hub: HubProcess, path = ''): Promise<string[]> {
    const res = await fetch(`${hub.url}${HUB_PATH}/subscriptions${path}`, { headers: { Authorization: `Bearer ${token}` } });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return (body.subscriptions as { match: string }[]).map((s) => s.match).sort();
  }
  const everywhere = async (path: string, expected: string[]) => {
    const lists = await Promise.all(hubs.filter((h) => h.child.exitCode === null && h.child.signalCode === null).map((h) => listed(h, path)));
    return lists.every((l) => JSON.stringify(l) === JSON.stringify(expected));
  };

  test('every process lists all; a closed subscription leaves every list; a per-topic path filters', async () => {
    const topics = hubs.map((_, i) => `https://e.com/cluster-subs/${i}`);
    const streams = await Promise.all(hubs.map((h, i) => openStream(`${h.url}${HUB_PATH}?match=${encodeURIComponent(topics[i]!)}`)));
    try {
      await waitFor('every process to list the three subscriptions', () => everywhere('', topics));
      const one = `/Exact/${encodeURIComponent(topics[2]!)}`;
      assert.deepEqual(await listed(hubs[0]!, one), [topics[2]]);
      await streams[1]!.close();
      await waitFor('the closed subscription to leave every list', () => everywhere('', [topics[0]!, topics[2]!]));
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
    await waitFor('every list to be empty', () => everywhere('', []));
  });

  test('a SIGKILLed process\'s subscriptions drop out of the others\' lists once its entries expire', async () => {
    const topic = `https://e.com/cluster-subs/killed-${Date.now()}`;
    const stream = await openStream(`${hubs[2]!.url}${HUB_PATH}?match=${encodeURIComponent(topic)}`);
    try {
      await waitFor('the others to list it', () => everywhere('', [topic]));
      await hubs[2]!.kill(); // no close: its entries stay in Redis until they expire
      assert.deepEqual(await listed(hubs[0]!), [topic], 'still listed right after the kill (nobody removed it)');
      await waitFor('the dead process to drop out', () => everywhere('', []), 10_000, 100);
    } finally {
      await stream.close();
    }
  });
});

test('the shared subscription list on an unreachable Redis: subscribers still stream, the API answers 503, errors go to onError', async () => {
  const errors: unknown[] = [];
  const deadRedis = `redis://127.0.0.1:${await freePort()}`;
  const started = await startHub({ subscriptions: true, subscriptionsRedis: { url: deadRedis }, onError: (e) => errors.push(e) });
  try {
    const token = await sign({ mercure: { subscribe: ['*'] } });
    const stream = await openStream(`${started.url}${HUB_PATH}?match=${encodeURIComponent('https://e.com/dead-redis')}`);
    try {
      const id = await publishOk(started.url, { topic: 'https://e.com/dead-redis', data: 'still delivered' });
      await stream.waitFor(() => stream.events.some((e) => e.id === id));
      const api = await fetch(`${started.url}${HUB_PATH}/subscriptions`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(api.status, 503);
      assert.match((await api.json()).message, /Redis/);
      await waitFor('the failed write to reach onError', () => errors.length > 0);
      assert.match(String((errors[0] as Error).message), /shared subscription list/);
    } finally {
      await stream.close();
    }
  } finally {
    await started.close();
  }
});

test('the shared subscription list survives Redis losing its keys: the next heartbeat writes them again', { skip }, async () => {
  const prefix = uniquePrefix('mercure-subs-lost');
  const started = await startHub({ subscriptions: true, subscriptionsRedis: { url: REDIS_URL, keyPrefix: prefix, ttlMs: 1000 } });
  try {
    const token = await sign({ mercure: { subscribe: ['*'] } });
    const count = async () => {
      const res = await fetch(`${started.url}${HUB_PATH}/subscriptions`, { headers: { Authorization: `Bearer ${token}` } });
      return ((await res.json()).subscriptions as unknown[]).length;
    };
    const stream = await openStream(`${started.url}${HUB_PATH}?match=${encodeURIComponent('https://e.com/lost')}`);
    try {
      await waitFor('the subscription to be listed', async () => (await count()) === 1);
      await deleteKeys(prefix); // as after a Redis restart without persistence
      assert.equal(await count(), 0);
      await waitFor('the heartbeat to write it again', async () => (await count()) === 1, 5000, 50);
    } finally {
      await stream.close();
    }
  } finally {
    await started.close();
    await deleteKeys(prefix);
  }
});
