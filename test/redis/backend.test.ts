// The Redis backend's own behaviour against a real Redis: ids, keys, trimming, gap detection,
// the shared follower connection, options and start-up failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { redisBackend, type RedisBackend } from '../../src/redis/index.js';
import type { StoredEvent } from '../../src/hub/backend.js';
import { isEventideError } from '../../src/errors.js';
import { REDIS_URL, deleteKeys, freePort, skipUnlessRedis, uniquePrefix, waitFor } from './helpers.js';

const skip = await skipUnlessRedis();
const LIMITS = { maxEvents: 1000, maxAgeMs: 3_600_000 };

function rec(data: string, extra: { type?: string; retry?: number; json?: boolean } = {}) {
  return { data, json: extra.json ?? false, type: extra.type, retry: extra.retry };
}

describe('redis backend: ids and keys (no I/O)', () => {
  const backend = redisBackend({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
  after(() => backend.close());

  it('accepts canonical stream ids only', () => {
    for (const id of ['0-0', '1-0', '1732412345678-12', '18446744073709551615-18446744073709551615']) {
      assert.equal(backend.isValidId(id), true, id);
    }
    const hostile = ['', '0', '1-', '-1', '01-1', '1-01', '+', '-', '$', '>', '*', '(1-0', '1-0\n', ' 1-0',
      '1-0,2-0', '18446744073709551616-0', '1-18446744073709551616', '1.5-0', '0x1-0', 'a'.repeat(10_000)];
    for (const id of hostile) assert.equal(backend.isValidId(id), false, JSON.stringify(id));
  });

  it('orders ids numerically, not as text', () => {
    const ids = ['10-0', '9-5', '9-10', '0-0', '100-0', '9-9'];
    assert.deepEqual(ids.sort((a, b) => backend.compareIds(a, b)), ['0-0', '9-5', '9-9', '9-10', '10-0', '100-0']);
    assert.equal(backend.compareIds('5-1', '5-1'), 0);
  });

  it('escapes channel names into distinct keys inside the prefix', () => {
    const names = ['news', 'news:1', 'news%3A1', 'a b', '{tag}', 'ch:x', '../x', '\r\n*3', 'ünï', '😀', '*'];
    const keys = names.map((n) => backend.keyOf(n));
    assert.equal(new Set(keys).size, names.length);
    for (const key of keys) {
      assert.ok(key.startsWith('eventide:ch:'), key);
      assert.doesNotMatch(key.slice("eventide:ch:".length), /[:{}\s]/);
    }
  });

  it('refuses channel names that cannot be keys', () => {
    for (const bad of ['', 'x'.repeat(1025), '\uD800', 42 as unknown as string]) {
      assert.throws(() => backend.keyOf(bad), (err) => isEventideError(err, 'EVENTIDE_INVALID_CHANNEL'));
    }
  });

  it('refuses bad options with EVENTIDE_INVALID_OPTION', () => {
    const bad = [
      { url: 'redis://x', client: new Redis({ lazyConnect: true }) },
      { keyPrefix: 5 as unknown as string },
      { blockMs: 0 },
      { followWindow: -1 },
      { connectionName: 'has space' },
    ];
    for (const options of bad) {
      assert.throws(() => redisBackend(options), (err) => isEventideError(err, 'EVENTIDE_INVALID_OPTION'));
      if (options.client) options.client.disconnect();
    }
  });
});

describe('redis backend: Redis unreachable at start', () => {
  it('fails promptly and clearly from ready(), append and readAfter', async () => {
    const port = await freePort();
    const backend = redisBackend({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 3000 });
    try {
      const started = Date.now();
      await assert.rejects(backend.ready(), (err) => {
        assert.ok(isEventideError(err, 'EVENTIDE_BACKEND_UNAVAILABLE'));
        assert.match((err as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        return true;
      });
      assert.ok(Date.now() - started < 2000, 'a refused connection fails before the connect timeout');
      await assert.rejects(backend.append('c', rec('x'), LIMITS), (err) => isEventideError(err, 'EVENTIDE_PUBLISH_FAILED'));
      await assert.rejects(backend.readAfter('c', '0-0'), (err) => isEventideError(err, 'EVENTIDE_BACKEND_UNAVAILABLE'));
    } finally {
      await backend.close();
    }
  });
});

describe('redis backend: against Redis', { skip }, () => {
  const prefix = uniquePrefix('backend');
  const name = `eventide-test-${process.pid}-${Date.now()}`;
  let backend: RedisBackend;
  let raw: Redis;

  before(async () => {
    backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix, connectionName: name, followWindow: 50 });
    await backend.ready();
    raw = new Redis(REDIS_URL);
  });
  after(async () => {
    await backend.close();
    raw.disconnect();
    await deleteKeys(prefix);
  });

  it('stores data, type, retry and the json flag, and reads them back', async () => {
    const events = [
      await backend.append('fields', rec('line 1\nline 2\r\nüñí 😀'), LIMITS),
      await backend.append('fields', rec('{"a":1}', { json: true, type: 'update', retry: 2500 }), LIMITS),
      await backend.append('fields', rec(''), LIMITS),
    ];
    assert.equal(events[0].data, 'line 1\nline 2\r\nüñí 😀');
    assert.deepEqual(
      { ...events[1] },
      { id: events[1].id, channel: 'fields', time: events[1].time, data: '{"a":1}', json: true, type: 'update', retry: 2500 },
    );
    assert.ok(Math.abs(events[0].time - Date.now()) < 60_000, 'time is Redis time, close to ours');
    assert.ok(backend.compareIds(events[0].id, events[1].id) < 0 && backend.compareIds(events[1].id, events[2].id) < 0);
    const read = await backend.readAfter('fields', backend.zeroId);
    assert.deepEqual(read, { events, complete: true, head: events[2].id });
    assert.equal(await raw.type(backend.keyOf('fields')), 'stream');
  });

  it('reads nothing but the head without an id, and flags malformed or future ids', async () => {
    const stored = await backend.append('heads', rec('x'), LIMITS);
    assert.deepEqual(await backend.readAfter('heads', undefined), { events: [], complete: true, head: stored.id });
    for (const bad of ['garbage', '(0-0', '-', '+', '1-0\r\nFLUSHALL', '99999999999999-0']) {
      const read = await backend.readAfter('heads', bad);
      assert.deepEqual(read, { events: [], complete: false, head: stored.id }, bad);
    }
    assert.equal(await raw.xlen(backend.keyOf('heads')), 1);
  });

  it('treats a channel without events as empty, resumable from its head', async () => {
    const first = await backend.readAfter('never', undefined);
    assert.deepEqual(first, { events: [], complete: true, head: backend.zeroId });
    assert.deepEqual(await backend.readAfter('never', backend.zeroId), first);
    assert.equal((await backend.readAfter('never', '5-0')).complete, false, 'an id the channel never had');
    const e = await backend.append('never', rec('now'), LIMITS);
    assert.deepEqual(await backend.readAfter('never', first.head), { events: [e], complete: true, head: e.id });
  });

  it('keeps exactly maxEvents for replay and signals the gap for older ids', async () => {
    const limits = { maxEvents: 3, maxAgeMs: 3_600_000 };
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await backend.append('count', rec(`e${i}`), limits)).id);
    const fromZero = await backend.readAfter('count', backend.zeroId);
    assert.deepEqual(fromZero.events.map((e) => e.data), ['e7', 'e8', 'e9']);
    assert.equal(fromZero.complete, false);
    const fromSixth = await backend.readAfter('count', ids[6]);
    assert.deepEqual([fromSixth.events.map((e) => e.data), fromSixth.complete], [['e7', 'e8', 'e9'], true]);
    const fromFifth = await backend.readAfter('count', ids[5]);
    assert.equal(fromFifth.complete, false, 'e6 is gone');
    const fromLast = await backend.readAfter('count', ids[9]);
    assert.deepEqual([fromLast.events, fromLast.complete], [[], true]);
  });

  it('keeps nothing for replay with maxEvents 0, yet delivers live', async () => {
    const limits = { maxEvents: 0, maxAgeMs: 3_600_000 };
    const seen: string[] = [];
    const start = await backend.readAfter('live-only', undefined);
    const stop = backend.follow('live-only', start.head, (e) => seen.push(e.data));
    try {
      await backend.append('live-only', rec('a'), limits);
      const b = await backend.append('live-only', rec('b'), limits);
      await waitFor('live delivery', () => seen.length === 2);
      assert.deepEqual(seen, ['a', 'b']);
      assert.deepEqual(await backend.readAfter('live-only', b.id), { events: [], complete: true, head: b.id });
      const old = await backend.readAfter('live-only', start.head);
      assert.deepEqual([old.events, old.complete], [[], false]);
    } finally {
      stop();
    }
  });

  it('drops events older than maxAgeMs from replay, also on an idle channel', async () => {
    const limits = { maxEvents: 100, maxAgeMs: 300 };
    const e = await backend.append('age', rec('old'), limits);
    assert.deepEqual((await backend.readAfter('age', backend.zeroId)).events, [e]);
    await waitFor('the event to age out', async () => (await backend.readAfter('age', backend.zeroId)).events.length === 0, 5000, 25);
    const read = await backend.readAfter('age', backend.zeroId);
    assert.deepEqual(read, { events: [], complete: false, head: e.id });
    assert.deepEqual(await backend.readAfter('age', e.id), { events: [], complete: true, head: e.id });
  });

  it('lets the key of a quiet channel expire once its history has aged out, and carries on', async () => {
    const quick = redisBackend({ url: REDIS_URL, keyPrefix: prefix, followGraceMs: 200 });
    try {
      await quick.ready();
      const limits = { maxEvents: 100, maxAgeMs: 100 };
      const got: string[] = [];
      const errors: Error[] = [];
      quick.follow('quiet', quick.zeroId, (e) => got.push(e.data), (err) => errors.push(err));
      const first = await quick.append('quiet', rec('first'), limits);
      await waitFor('the key to expire', async () => (await raw.exists(quick.keyOf('quiet'))) === 0, 5000, 20);
      assert.deepEqual(await quick.readAfter('quiet', undefined), { events: [], complete: true, head: quick.zeroId });
      assert.equal((await quick.readAfter('quiet', first.id)).complete, false, 'an id from before is a gap');
      const second = await quick.append('quiet', rec('second'), limits);
      assert.ok(quick.compareIds(first.id, second.id) < 0, 'ids keep increasing');
      assert.equal((await quick.readAfter('quiet', first.id)).complete, false, 'the old stream is gone: a gap');
      assert.equal((await quick.readAfter('quiet', quick.zeroId)).complete, true, 'the empty-channel head missed nothing');
      await waitFor('both events', () => got.length === 2);
      assert.deepEqual(got, ['first', 'second']);
      assert.deepEqual(errors, [], 'a stream that expired while quiet is not reported as missed events');
    } finally {
      await quick.close();
    }
  });

  it('bounds what Redis holds by the history or the follow window, whichever is larger', async () => {
    const limits = { maxEvents: 5, maxAgeMs: 3_600_000 };
    await Promise.all(Array.from({ length: 1000 }, (_, i) => backend.append('bounded', rec(String(i)), limits)));
    const length = await raw.xlen(backend.keyOf('bounded'));
    // followWindow is 50 here; approximate trimming keeps at most one extra internal node (100).
    assert.ok(length >= 50 && length <= 50 + 100, `XLEN ${length}`);
    const read = await backend.readAfter('bounded', backend.zeroId);
    assert.deepEqual(read.events.map((e) => e.data), ['995', '996', '997', '998', '999']);
  });

  it('follows many channels over one reader connection, in order, exactly once', async () => {
    const channels = Array.from({ length: 20 }, (_, i) => `multi-${i}`);
    const seen = new Map<string, string[]>(channels.map((c) => [c, []]));
    const stops = channels.map((c) => backend.follow(c, backend.zeroId, (e) => seen.get(c)!.push(e.data)));
    try {
      const rounds = 25;
      const publishes: Promise<StoredEvent>[] = [];
      for (let r = 0; r < rounds; r++) for (const c of channels) publishes.push(backend.append(c, rec(`${c}#${r}`), LIMITS));
      await Promise.all(publishes);
      await waitFor('every event', () => [...seen.values()].every((s) => s.length >= rounds));
      for (const c of channels) {
        assert.deepEqual(seen.get(c), Array.from({ length: rounds }, (_, r) => `${c}#${r}`));
      }
      const clients = (await raw.client('LIST')) as string;
      const ours = clients.split('\n').filter((line) => line.includes(` name=${name}:`));
      assert.deepEqual(ours.map((line) => /name=(\S+)/.exec(line)![1]).sort(), [`${name}:command`, `${name}:reader`]);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('starts a new follow at once, without waiting for the pending block to end', async () => {
    // A block longer than the command timeout must not be cut short as a failure either.
    const slow = redisBackend({ url: REDIS_URL, keyPrefix: prefix, blockMs: 3000, commandTimeoutMs: 1000 });
    const errors: Error[] = [];
    try {
      await slow.ready();
      const stopFirst = slow.follow('wake-a', slow.zeroId, () => {}, (err) => errors.push(err));
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the reader block on wake-a
      const got: StoredEvent[] = [];
      const head = (await slow.readAfter('wake-b', undefined)).head;
      const stop = slow.follow('wake-b', head, (e) => got.push(e));
      const started = Date.now();
      await slow.append('wake-b', rec('hi'), LIMITS);
      await waitFor('delivery on the new channel', () => got.length === 1, 5000);
      assert.ok(Date.now() - started < 2000, `delivered after ${Date.now() - started} ms`);
      // Absence of errors can only be watched for a while: one whole block (3 s) with nothing to read.
      await new Promise((resolve) => setTimeout(resolve, 3500));
      assert.deepEqual(errors, []);
      stop();
      stopFirst();
    } finally {
      await slow.close();
    }
  });

  it('gives each follower of a channel its own starting point', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await backend.append('starts', rec(`s${i}`), LIMITS)).id);
    const a: string[] = [];
    const b: string[] = [];
    const stopA = backend.follow('starts', ids[3], (e) => a.push(e.data));
    const stopB = backend.follow('starts', ids[0], (e) => b.push(e.data));
    try {
      await backend.append('starts', rec('s5'), LIMITS);
      await waitFor('both followers', () => a.length === 2 && b.length === 5);
      assert.deepEqual(a, ['s4', 's5']);
      assert.deepEqual(b, ['s1', 's2', 's3', 's4', 's5']);
      stopA();
      await backend.append('starts', rec('s6'), LIMITS);
      await waitFor('the remaining follower', () => b.length === 6);
      assert.deepEqual(a, ['s4', 's5'], 'a stopped follower hears nothing more');
    } finally {
      stopA();
      stopB();
    }
  });

  it('shares channels between backends (processes) on the same prefix', async () => {
    const other = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
    try {
      const got: StoredEvent[] = [];
      const stop = other.follow('shared', backend.zeroId, (e) => got.push(e));
      const sent = [await backend.append('shared', rec('1'), LIMITS), await other.append('shared', rec('2'), LIMITS)];
      await waitFor('both events', () => got.length === 2);
      assert.deepEqual(got, sent);
      stop();
    } finally {
      await other.close();
    }
  });

  it('reports events trimmed before a follower could read them (EVENTIDE_EVENTS_MISSED)', async () => {
    const cut = `${name}-cut`;
    const follower = redisBackend({ url: REDIS_URL, keyPrefix: prefix, connectionName: cut });
    const publisher = redisBackend({ url: REDIS_URL, keyPrefix: prefix, followWindow: 1 });
    try {
      await Promise.all([follower.ready(), publisher.ready()]);
      const limits = { maxEvents: 0, maxAgeMs: 3_600_000 };
      const got: string[] = [];
      const errors: Error[] = [];
      const { head } = await follower.readAfter('cut', undefined);
      follower.follow('cut', head, (e) => got.push(e.data), (err) => errors.push(err));
      await publisher.append('cut', rec('before'), limits);
      await waitFor('the first event', () => got.length === 1);
      // Cut the follower's reader off, publish a burst that trimming removes at once, let it return.
      const list = (await raw.client('LIST')) as string;
      const readerId = /id=(\d+) .*name=(\S+)/.exec(list.split('\n').find((l) => l.includes(`name=${cut}:reader`))!)![1];
      await raw.client('KILL', 'ID', readerId);
      await Promise.all(Array.from({ length: 300 }, (_, i) => publisher.append('cut', rec(`burst${i}`), limits)));
      await publisher.append('cut', rec('after'), limits);
      await waitFor('the last event', () => got.at(-1) === 'after');
      assert.ok(got.length < 302, `some of the burst was trimmed (${got.length} delivered)`);
      const missed = errors.filter((err) => isEventideError(err, 'EVENTIDE_EVENTS_MISSED'));
      assert.ok(missed.length >= 1, `errors: ${errors.map(String).join('; ')}`);
      assert.ok(errors.every((err) => isEventideError(err, 'EVENTIDE_EVENTS_MISSED') || isEventideError(err, 'EVENTIDE_BACKEND_UNAVAILABLE')));
      assert.match(missed[0].message, /trimmed from Redis/);
    } finally {
      await Promise.all([follower.close(), publisher.close()]);
    }
  });

  it('takes its settings from an existing ioredis client, which it never uses or closes', async () => {
    const mine = new Redis(REDIS_URL, { connectionName: `${name}-user` });
    const viaClient = redisBackend({ client: mine, keyPrefix: prefix, connectionName: `${name}-dup` });
    try {
      await viaClient.ready();
      const stored = await viaClient.append('via-client', rec('x'), LIMITS);
      assert.deepEqual((await backend.readAfter('via-client', backend.zeroId)).events, [stored]);
    } finally {
      await viaClient.close();
    }
    assert.equal(await mine.ping(), 'PONG', 'the user\'s client is still open');
    mine.disconnect();
  });

  it('refuses to follow from a malformed id', () => {
    assert.throws(
      () => backend.follow('x', 'nope', () => {}),
      (err) => isEventideError(err, 'EVENTIDE_INVALID_LAST_EVENT_ID'),
    );
  });

  it('closes promptly while its reader is blocked, and stops delivering', async () => {
    const closing = redisBackend({ url: REDIS_URL, keyPrefix: prefix, blockMs: 30_000 });
    await closing.ready();
    const got: string[] = [];
    closing.follow('prompt', (await closing.readAfter('prompt', undefined)).head, (e) => got.push(e.data));
    await backend.append('prompt', rec('one'), LIMITS);
    await waitFor('the first event', () => got.length === 1);
    const started = Date.now();
    await closing.close();
    assert.ok(Date.now() - started < 1000, `closed in ${Date.now() - started} ms`);
    await backend.append('prompt', rec('two'), LIMITS);
    assert.deepEqual(got, ['one']);
  });

  it('after close, rejects appends and reports follows as closed', async () => {
    const closing = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
    await closing.ready();
    await closing.close();
    await assert.rejects(closing.append('c', rec('x'), LIMITS), (err) => isEventideError(err, 'EVENTIDE_CLOSED'));
    const error = await new Promise<Error>((resolve) => closing.follow('c', '0-0', () => {}, resolve));
    assert.ok(isEventideError(error, 'EVENTIDE_CLOSED'));
  });
});
