// Faults of one channel, of Redis, and of the code the follower calls: one channel whose key holds
// the wrong type never stops the others, is retried with a growing delay and comes back with the
// gap signal; errors say what Redis answered; the hang watchdog fires when the README says; a
// throwing callback never ends live delivery or the process; options are checked at start-up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis, ReplyError } from 'ioredis';
import { redisBackend, type RedisBackend } from '../../src/redis/index.js';
import { redisFailure } from '../../src/redis/failures.js';
import { RETRY_FIRST_MS, RETRY_MAX_MS } from '../../src/redis/follower.js';
import { GAP_EVENT_TYPE, Hub, type HubEvent } from '../../src/hub/index.js';
import type { StoredEvent } from '../../src/hub/backend.js';
import { isEventideError, type EventideError } from '../../src/errors.js';
import {
  PrivateRedis, REDIS_URL, deleteKeys, skipUnlessRedis, skipUnlessRedisServer, uniquePrefix, waitFor,
} from './helpers.js';

const skip = await skipUnlessRedis();
const skipServer = skipUnlessRedisServer();
const LIMITS = { maxEvents: 1000, maxAgeMs: 3_600_000 };
const rec = (data: string) => ({ data, json: false });

/** Collects what one follow receives, in one timeline. */
function collector() {
  const events: StoredEvent[] = [];
  const errors: Error[] = [];
  const timeline: string[] = [];
  return {
    events,
    errors,
    timeline,
    data: () => events.map((e) => e.data),
    onEvent: (e: StoredEvent) => {
      events.push(e);
      timeline.push(e.data);
    },
    onError: (err: Error) => {
      errors.push(err);
      timeline.push(`error:${(err as EventideError).code}`);
    },
  };
}

/** Captures what is written to stderr while `run` runs. */
async function captureStderr(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    if (text.includes('eventide/redis')) {
      lines.push(text);
      return true;
    }
    return (write as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    await run();
  } finally {
    process.stderr.write = write;
  }
  return lines;
}

describe('redis follower: one channel with a key of the wrong type', { skip }, () => {
  const prefix = uniquePrefix('faults');
  let backend: RedisBackend;
  let raw: Redis;

  before(async () => {
    backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix, blockMs: 200 });
    await backend.ready();
    raw = new Redis(REDIS_URL);
  });
  after(async () => {
    await backend.close();
    raw.disconnect();
    await deleteKeys(prefix);
  });

  it('stops only that channel, says WRONGTYPE, and brings it back with the gap signal', async () => {
    const a = collector();
    const b = collector();
    const c = collector();
    const stops = [
      backend.follow('wt-a', backend.zeroId, a.onEvent, a.onError),
      backend.follow('wt-b', backend.zeroId, b.onEvent, b.onError),
      backend.follow('wt-c', backend.zeroId, c.onEvent, c.onError),
    ];
    try {
      for (const ch of ['wt-a', 'wt-b', 'wt-c']) await backend.append(ch, rec(`${ch}-1`), LIMITS);
      await waitFor('the first events', () => a.events.length === 1 && b.events.length === 1 && c.events.length === 1);

      await raw.set(backend.keyOf('wt-a'), 'someone else wrote this');
      await backend.append('wt-b', rec('wt-b-2'), LIMITS); // ends the pending read; the next one meets the bad key
      await waitFor('the report of the broken channel', () => a.errors.length > 0, 5000);

      // The other channels keep flowing, several reads after the failure.
      for (let i = 0; i < 5; i++) {
        await backend.append('wt-b', rec(`wt-b-after-${i}`), LIMITS);
        await backend.append('wt-c', rec(`wt-c-after-${i}`), LIMITS);
        await waitFor(`event ${i} on both healthy channels`, () =>
          b.data().includes(`wt-b-after-${i}`) && c.data().includes(`wt-c-after-${i}`), 5000);
      }
      assert.deepEqual(b.errors, [], 'a healthy channel hears of no failure');
      assert.deepEqual(c.errors, []);
      assert.deepEqual(b.data(), ['wt-b-1', 'wt-b-2', ...[0, 1, 2, 3, 4].map((i) => `wt-b-after-${i}`)]);

      assert.equal(a.errors.length, 1, 'the broken channel is reported once, however often it is retried');
      const failure = a.errors[0];
      assert.ok(isEventideError(failure, 'EVENTIDE_BACKEND_REJECTED'), String(failure));
      assert.match(failure.message, /WRONGTYPE/);
      assert.ok(failure.message.includes(JSON.stringify(backend.keyOf('wt-a'))), failure.message);
      assert.match(failure.message, /Delete that key/);
      assert.doesNotMatch(failure.message, /cannot be reached/);

      // A follow that joins the broken channel now is told too, at once.
      const late = collector();
      stops.push(backend.follow('wt-a', a.events[0].id, late.onEvent, late.onError));
      await waitFor('the late follow to be told', () => late.errors.length === 1, 1000);
      assert.ok(isEventideError(late.errors[0], 'EVENTIDE_BACKEND_REJECTED'));

      // Publishing to it and replaying it fail with the same diagnosis.
      await assert.rejects(backend.append('wt-a', rec('refused'), LIMITS), (err) => {
        assert.ok(isEventideError(err, 'EVENTIDE_PUBLISH_FAILED'), String(err));
        assert.match((err as Error).message, /WRONGTYPE/);
        assert.match((err as Error).message, /was not published \(Redis answered with an error\)/);
        assert.doesNotMatch((err as Error).message, /cannot be reached/);
        return true;
      });
      await assert.rejects(backend.readAfter('wt-a', backend.zeroId), (err) => {
        assert.ok(isEventideError(err, 'EVENTIDE_BACKEND_REJECTED'), String(err));
        assert.match((err as Error).message, /WRONGTYPE/);
        return true;
      });

      // Fixed by hand: the channel comes back by itself, first with the gap signal (its stream was
      // replaced, events after wt-a-1 may be lost), then with the new events.
      await raw.del(backend.keyOf('wt-a'));
      const next = await backend.append('wt-a', rec('wt-a-new'), LIMITS);
      await waitFor('the broken channel to come back', () => a.data().includes('wt-a-new'), RETRY_MAX_MS + 5000);
      assert.deepEqual(a.timeline, ['wt-a-1', 'error:EVENTIDE_BACKEND_REJECTED', 'error:EVENTIDE_EVENTS_MISSED', 'wt-a-new']);
      assert.match(a.errors[1].message, /no longer holds/);
      assert.equal(a.events.at(-1)!.id, next.id);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('gives the gap signal to the hub subscribers of that channel only', async () => {
    const hubErrors: Array<[string, Error]> = [];
    const hubBackend = redisBackend({ url: REDIS_URL, keyPrefix: prefix, blockMs: 200 });
    const hub = new Hub({ backend: hubBackend, onError: (err, channel) => hubErrors.push([channel, err]) });
    const broken: HubEvent[] = [];
    const healthy: HubEvent[] = [];
    // Subscribing after a known id makes every later publish reach the subscriber (resume has no
    // gap), so the test needs no signal that the subscriptions are live (anchors never reach rxjs
    // subscribers).
    const headA = await hub.publish('hub-a', { data: 'a0' });
    const headB = await hub.publish('hub-b', { data: 'b0' });
    const subs = [
      hub.subscribe('hub-a', { lastEventId: headA }).subscribe({ next: (e) => broken.push(e) }),
      hub.subscribe('hub-b', { lastEventId: headB }).subscribe({ next: (e) => healthy.push(e) }),
    ];
    const dataOf = (list: HubEvent[]) => list.filter((e) => e.channel !== undefined).map((e) => e.data);
    try {
      await waitFor('both channels to be followed', () => hub.activeChannels === 2);
      await hub.publish('hub-a', { data: 'a1' });
      await hub.publish('hub-b', { data: 'b1' });
      await waitFor('the first events', () => dataOf(broken).length === 1 && dataOf(healthy).length === 1);

      await raw.set(hubBackend.keyOf('hub-a'), 'not a stream');
      await hub.publish('hub-b', { data: 'b2' });
      await waitFor('the hub to hear of the broken channel', () => hubErrors.length > 0, 5000);
      await hub.publish('hub-b', { data: 'b3' });
      await waitFor('the healthy channel to go on', () => dataOf(healthy).includes('b3'), 5000);

      await raw.del(hubBackend.keyOf('hub-a'));
      await hub.publish('hub-a', { data: 'a2' });
      await waitFor('the broken channel to come back', () => dataOf(broken).includes('a2'), RETRY_MAX_MS + 5000);

      const afterFirst = broken.slice(broken.findIndex((e) => e.data === 'a1') + 1);
      assert.deepEqual(afterFirst.map((e) => e.type ?? e.data), [GAP_EVENT_TYPE, 'a2'], 'the gap signal, then the new event');
      assert.deepEqual((afterFirst[0].data as { channels: string[] }).channels, ['hub-a']);
      assert.ok(healthy.every((e) => e.type !== GAP_EVENT_TYPE), 'the healthy channel gets no gap signal');
      assert.deepEqual(dataOf(healthy), ['b1', 'b2', 'b3']);
      assert.deepEqual(hubErrors.map(([ch, err]) => `${ch} ${(err as EventideError).code}`), [
        'hub-a EVENTIDE_BACKEND_REJECTED',
        'hub-a EVENTIDE_EVENTS_MISSED',
      ]);
    } finally {
      for (const sub of subs) sub.unsubscribe();
      await hub.close();
    }
  });

  it('keeps delivering when onEvent and onError throw', async () => {
    // A backend of its own: stderr is told once per backend.
    const backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix, blockMs: 200 });
    const good = collector();
    const other = collector();
    let badCalls = 0;
    let silentCalls = 0;
    const lines = await captureStderr(async () => {
      const stops = [
        backend.follow('throw-c', backend.zeroId, () => {
          badCalls++;
          throw new Error('listener bug');
        }, () => {
          throw new Error('onError bug');
        }),
        // No onError at all: the throw has nobody to go to but stderr.
        backend.follow('throw-c', backend.zeroId, () => {
          silentCalls++;
          throw new Error('silent listener bug');
        }),
        backend.follow('throw-c', backend.zeroId, good.onEvent, good.onError),
        backend.follow('throw-d', backend.zeroId, other.onEvent, other.onError),
      ];
      try {
        for (let i = 0; i < 3; i++) {
          await backend.append('throw-c', rec(`c${i}`), LIMITS);
          await backend.append('throw-d', rec(`d${i}`), LIMITS);
          await waitFor(`round ${i}`, () => good.events.length === i + 1 && other.events.length === i + 1, 5000);
        }
      } finally {
        for (const stop of stops) stop();
        await backend.close();
      }
    });
    assert.deepEqual(good.data(), ['c0', 'c1', 'c2']);
    assert.deepEqual(other.data(), ['d0', 'd1', 'd2']);
    assert.deepEqual([badCalls, silentCalls], [3, 3], 'a throwing follower still gets every event');
    assert.equal(lines.length, 1, `told stderr once: ${lines.join('')}`);
    assert.match(lines[0], /threw/);
  });

  it('keeps delivering when onError throws on hearing of a broken channel', async () => {
    const backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix, blockMs: 200 });
    const other = collector();
    let told = 0;
    const lines = await captureStderr(async () => {
      const stops = [
        backend.follow('throw-e', backend.zeroId, () => {}, () => {
          told++;
          throw new Error('onError bug');
        }),
        backend.follow('throw-f', backend.zeroId, other.onEvent, other.onError),
      ];
      try {
        await backend.append('throw-e', rec('e0'), LIMITS);
        await raw.set(backend.keyOf('throw-e'), 'not a stream');
        await backend.append('throw-f', rec('wake'), LIMITS);
        await waitFor('the broken channel to be reported', () => told === 1, 5000);
        for (let i = 0; i < 3; i++) {
          await backend.append('throw-f', rec(`f${i}`), LIMITS);
          await waitFor(`event f${i}`, () => other.events.length === i + 2, 5000);
        }
      } finally {
        for (const stop of stops) stop();
        await raw.del(backend.keyOf('throw-e'));
        await backend.close();
      }
    });
    assert.deepEqual(other.data(), ['wake', 'f0', 'f1', 'f2']);
    assert.deepEqual(other.errors, []);
    assert.equal(lines.length, 1, 'one line on stderr');
    assert.match(lines[0], /onError of a follow of channel "throw-e" threw/);
  });

  it('does not throw from a microtask when a follow on a closed backend has a throwing onError', async () => {
    const closed = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
    await closed.close();
    let called = 0;
    const lines = await captureStderr(async () => {
      closed.follow('x', closed.zeroId, () => {}, (err) => {
        called++;
        assert.ok(isEventideError(err, 'EVENTIDE_CLOSED'));
        throw new Error('onError bug');
      });
      await new Promise((resolve) => setImmediate(resolve));
    });
    assert.equal(called, 1);
    assert.equal(lines.length, 1);
  });
});

describe('redis follower: retries of a failing channel', { skip: skipServer }, () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await PrivateRedis.start();
  });
  after(async () => {
    await redis?.destroy();
  });

  it('probes it again after a doubling delay while the others flow', async () => {
    const backend = redisBackend({ url: redis.url, keyPrefix: 'retry:', blockMs: 5000 });
    const raw = new Redis(redis.url);
    const monitored = new Redis(redis.url);
    const monitor = await monitored.monitor();
    const probes: number[] = []; // Redis's clock, in ms, of each read of the broken key alone
    const key = backend.keyOf('bad');
    monitor.on('monitor', (time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'xread' && args.includes(key) && !args.some((a) => a.toUpperCase() === 'BLOCK')) {
        probes.push(Number(time) * 1000);
      }
    });
    const bad = collector();
    const good = collector();
    const stops = [
      backend.follow('bad', backend.zeroId, bad.onEvent, bad.onError),
      backend.follow('good', backend.zeroId, good.onEvent, good.onError),
    ];
    try {
      await backend.append('bad', rec('bad-1'), LIMITS);
      await backend.append('good', rec('good-1'), LIMITS);
      await waitFor('the first events', () => bad.events.length === 1 && good.events.length === 1);
      await raw.set(key, 'x');
      await backend.append('good', rec('good-2'), LIMITS);
      // The probe that found it, then retries after 0.25, 0.5, 1 and 2 s.
      let sent = 2;
      await waitFor('five probes of the broken key', async () => {
        await backend.append('good', rec(`good-${++sent}`), LIMITS);
        return probes.length >= 5;
      }, 10_000, 200);
      await waitFor('every event of the healthy channel', () => good.events.length === sent, 5000);
      assert.deepEqual(good.data(), Array.from({ length: sent }, (_, i) => `good-${i + 1}`));
      assert.equal(bad.errors.length, 1);

      const gaps = probes.slice(1, 5).map((t, i) => t - probes[i]);
      for (let i = 0; i < gaps.length; i++) {
        const expected = Math.min(RETRY_FIRST_MS * 2 ** i, RETRY_MAX_MS);
        assert.ok(gaps[i] >= expected - 20 && gaps[i] <= expected + 400, `retry ${i + 1} after ${gaps[i]} ms, expected ${expected}`);
      }
    } finally {
      for (const stop of stops) stop();
      monitor.disconnect();
      monitored.disconnect();
      raw.disconnect();
      await backend.close();
    }
  });
});

describe('redis follower: a password set while running', { skip: skipServer }, () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await PrivateRedis.start();
  });
  after(async () => {
    await redis?.destroy();
  });

  it('tells the followers NOAUTH, not only that the connection was lost, and resumes once it is allowed', async () => {
    const backend = redisBackend({ url: redis.url, keyPrefix: 'pw:', blockMs: 200 });
    const admin = new Redis(redis.url); // stays authenticated when the password is set
    const got = collector();
    try {
      await backend.ready();
      await admin.ping();
      const stop = backend.follow('x', backend.zeroId, got.onEvent, got.onError);
      await backend.append('x', rec('before'), LIMITS);
      await waitFor('the first event', () => got.events.length === 1);

      await admin.config('SET', 'requirepass', 'new-secret');
      await admin.client('KILL', 'TYPE', 'normal'); // every connection but this one reconnects, and is refused
      await waitFor('the followers to hear NOAUTH', () => got.errors.some((e) => /NOAUTH/.test(e.message)), 10_000);
      const noauth = got.errors.find((e) => /NOAUTH/.test(e.message))!;
      assert.ok(isEventideError(noauth, 'EVENTIDE_BACKEND_REJECTED'), String(noauth));
      assert.match(noauth.message, /requires a password/);
      // A publish fails at once while the command connection reconnects; once Redis has refused
      // that connection, the failure quotes NOAUTH.
      await waitFor('a publish to be refused with NOAUTH', async () => {
        const err = await backend.append('x', rec('refused'), LIMITS).then(() => undefined, (e: Error) => e);
        assert.ok(isEventideError(err, 'EVENTIDE_PUBLISH_FAILED'), String(err));
        return /NOAUTH/.test(err.message);
      }, 10_000, 50);

      await admin.config('SET', 'requirepass', '');
      let published = false;
      await waitFor('delivery to resume', async () => {
        if (!published) published = await backend.append('x', rec('after'), LIMITS).then(() => true, () => false);
        return got.data().includes('after');
      }, 15_000, 100);
      assert.deepEqual(got.data(), ['before', 'after']);
      assert.equal(got.errors.filter((e) => /NOAUTH/.test(e.message)).length, 1, 'NOAUTH told once');
      stop();
    } finally {
      admin.disconnect();
      await backend.close();
    }
  });
});

describe('redis follower: the hang watchdog', { skip: skipServer }, () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await PrivateRedis.start();
  });
  after(async () => {
    redis?.signal('SIGCONT');
    await redis?.destroy();
  });

  it('reports a frozen Redis blockMs + commandTimeoutMs after the read, as documented, then carries on', async () => {
    const blockMs = 300;
    const commandTimeoutMs = 600;
    const backend = redisBackend({ url: redis.url, keyPrefix: 'hang:', blockMs, commandTimeoutMs });
    let frozenAt = 0;
    const reports: Array<{ at: number; error: Error }> = [];
    const got: string[] = [];
    try {
      await backend.ready();
      const stop = backend.follow('h', backend.zeroId, (e) => {
        got.push(e.data);
        // The follower sends its next read as soon as this returns: freeze Redis right before.
        if (e.data === 'freeze') {
          redis.signal('SIGSTOP');
          frozenAt = performance.now();
        }
      }, (error) => reports.push({ at: performance.now(), error }));
      // Not awaited: Redis may be frozen after it sent the entry to the follower and before it
      // answered the publisher (which then fails after commandTimeoutMs, as documented).
      const publishing = backend.append('h', rec('freeze'), LIMITS).catch((err: Error) => err);
      await waitFor('the hang to be reported', () => reports.length > 0, 10_000);
      // ioredis would have waited its disconnectTimeout (2 s) for the frozen server to close the socket.
      const took = reports[0].at - frozenAt;
      const documented = blockMs + commandTimeoutMs;
      assert.ok(took >= documented - 30 && took <= documented + 700, `reported ${Math.round(took)} ms after the read, documented ${documented}`);
      assert.ok(isEventideError(reports[0].error, 'EVENTIDE_BACKEND_UNAVAILABLE'), String(reports[0].error));
      assert.match(reports[0].error.message, new RegExp(`no answer to a read within ${documented} ms`));
      assert.equal(reports.length, 1);

      redis.signal('SIGCONT');
      await publishing;
      await backend.append('h', rec('thawed'), LIMITS);
      await waitFor('delivery to carry on', () => got.includes('thawed'), 10_000);
      assert.deepEqual(got, ['freeze', 'thawed']);
      stop();
    } finally {
      redis.signal('SIGCONT');
      await backend.close();
    }
  });
});

describe('redis backend: errors say what Redis answered', { skip: skipServer }, () => {
  let redis: PrivateRedis;
  let admin: Redis;
  const port = () => redis.port;
  before(async () => {
    redis = await PrivateRedis.start(['--requirepass', 'sekrit', '--busy-reply-threshold', '100']);
    admin = new Redis({ port: redis.port, host: '127.0.0.1', password: 'sekrit' });
    await admin.call('ACL', 'SETUSER', 'limited', 'on', '>pw', '~elsewhere:*', '+@all');
  });
  after(async () => {
    admin?.disconnect();
    await redis?.destroy();
  });

  it('NOAUTH and WRONGPASS: ready() rejects with EVENTIDE_BACKEND_REJECTED, saying to fix the credentials', async () => {
    const cases = [
      { url: `redis://127.0.0.1:${port()}`, reply: /NOAUTH/, advice: /requires a password/ },
      { url: `redis://:wrong@127.0.0.1:${port()}`, reply: /WRONGPASS/, advice: /check the credentials/ },
    ];
    for (const { url, reply, advice } of cases) {
      const backend = redisBackend({ url, connectTimeoutMs: 3000 });
      try {
        await assert.rejects(backend.ready(), (err) => {
          assert.ok(isEventideError(err, 'EVENTIDE_BACKEND_REJECTED'), String(err));
          assert.match((err as Error).message, reply);
          assert.match((err as Error).message, advice);
          assert.doesNotMatch((err as Error).message, /cannot be reached|wrong@|sekrit/);
          return true;
        });
      } finally {
        await backend.close();
      }
    }
  });

  it('NOPERM: publish, replay and live delivery fail saying which permission is missing, and recover', async () => {
    const backend = redisBackend({ url: `redis://limited:pw@127.0.0.1:${port()}`, keyPrefix: 'acl:', blockMs: 100 });
    const errors: Error[] = [];
    const got: string[] = [];
    try {
      await backend.ready();
      await assert.rejects(backend.append('x', rec('no'), LIMITS), (err) => {
        assert.ok(isEventideError(err, 'EVENTIDE_PUBLISH_FAILED'), String(err));
        assert.match((err as Error).message, /NOPERM/);
        assert.match((err as Error).message, /ACL SETUSER/);
        return true;
      });
      await assert.rejects(backend.readAfter('x', backend.zeroId), (err) => {
        assert.ok(isEventideError(err, 'EVENTIDE_BACKEND_REJECTED'), String(err));
        assert.match((err as Error).message, /NOPERM/);
        return true;
      });
      const stop = backend.follow('x', backend.zeroId, (e) => got.push(e.data), (err) => errors.push(err));
      await waitFor('the follow to hear of NOPERM', () => errors.length > 0, 5000);
      assert.ok(isEventideError(errors[0], 'EVENTIDE_BACKEND_REJECTED'), String(errors[0]));
      assert.match(errors[0].message, /NOPERM/);

      await admin.call('ACL', 'SETUSER', 'limited', '~acl:*');
      let published = false;
      await waitFor('live delivery to work again', async () => {
        if (!published) published = await backend.append('x', rec('yes'), LIMITS).then(() => true, () => false);
        return got.includes('yes');
      }, RETRY_MAX_MS + 5000, 100);
      assert.deepEqual(got, ['yes']);
      assert.equal(errors.length, 1, 'reported once while failing, and no gap: the stream was never lost');
      stop();
    } finally {
      await backend.close();
    }
  });

  it('NOPERM on one key: only that channel stops, and it resumes without a gap once allowed again', async () => {
    // `limited2` may touch the wake stream and two channels; the publisher is the default user.
    const allow = ['~perkey:wake:*', '~perkey:ch:good', '~perkey:ch:bad'];
    await admin.call('ACL', 'SETUSER', 'limited2', 'on', '>pw', '+@all', ...allow);
    const follower = redisBackend({ url: `redis://limited2:pw@127.0.0.1:${port()}`, keyPrefix: 'perkey:', blockMs: 200 });
    const publisher = redisBackend({ url: `redis://:sekrit@127.0.0.1:${port()}`, keyPrefix: 'perkey:' });
    const good = collector();
    const bad = collector();
    try {
      await Promise.all([follower.ready(), publisher.ready()]);
      const stops = [
        follower.follow('good', follower.zeroId, good.onEvent, good.onError),
        follower.follow('bad', follower.zeroId, bad.onEvent, bad.onError),
      ];
      await publisher.append('bad', rec('bad-1'), LIMITS);
      await publisher.append('good', rec('good-1'), LIMITS);
      await waitFor('the first events', () => good.events.length === 1 && bad.events.length === 1);

      await admin.call('ACL', 'SETUSER', 'limited2', 'resetkeys', allow[0], allow[1]);
      await publisher.append('good', rec('good-2'), LIMITS); // ends the read that was pending before the change
      await waitFor('good-2', () => good.events.length === 2);
      await publisher.append('bad', rec('bad-2'), LIMITS);
      await waitFor('the report of the forbidden channel', () => bad.errors.length > 0, 5000);
      await publisher.append('good', rec('good-3'), LIMITS);
      await waitFor('good-3', () => good.events.length === 3, 5000);
      assert.ok(isEventideError(bad.errors[0], 'EVENTIDE_BACKEND_REJECTED'), String(bad.errors[0]));
      assert.match(bad.errors[0].message, /NOPERM/);
      assert.match(bad.errors[0].message, /channel "bad"/);

      await admin.call('ACL', 'SETUSER', 'limited2', allow[2]);
      await waitFor('the channel to resume', () => bad.data().includes('bad-2'), RETRY_MAX_MS + 5000);
      // Its stream still held bad-1, the last event delivered: nothing was lost, so no gap signal.
      assert.deepEqual(bad.timeline, ['bad-1', 'error:EVENTIDE_BACKEND_REJECTED', 'bad-2']);
      assert.deepEqual(good.data(), ['good-1', 'good-2', 'good-3']);
      assert.deepEqual(good.errors, []);
      for (const stop of stops) stop();
    } finally {
      await Promise.all([follower.close(), publisher.close()]);
    }
  });

  it('BUSY: a replay fails with EVENTIDE_BACKEND_UNAVAILABLE (it passes), live delivery resumes', async () => {
    const backend = redisBackend({
      url: `redis://:sekrit@127.0.0.1:${port()}`, keyPrefix: 'busy:', blockMs: 100, commandTimeoutMs: 500,
    });
    const script = new Redis({ port: redis.port, host: '127.0.0.1', password: 'sekrit' });
    const errors: Error[] = [];
    const got: string[] = [];
    try {
      await backend.ready();
      const stop = backend.follow('x', backend.zeroId, (e) => got.push(e.data), (err) => errors.push(err));
      const running = script.eval('while true do end', 0).catch((err: Error) => err);
      await waitFor('Redis to answer BUSY', () => admin.ping().then(() => false, (err: Error) => /BUSY/.test(err.message)));
      await assert.rejects(backend.readAfter('x', backend.zeroId), (err) => {
        assert.ok(isEventideError(err, 'EVENTIDE_BACKEND_UNAVAILABLE'), String(err));
        assert.match((err as Error).message, /BUSY/);
        assert.match((err as Error).message, /SCRIPT KILL/);
        return true;
      });
      // A read that was blocked when the script started is never answered (Redis does not end blocks
      // while a script runs): the watchdog reports that; a read sent later is answered BUSY.
      await waitFor('the follow to hear of it', () => errors.length > 0, 5000);
      assert.ok(isEventideError(errors[0], 'EVENTIDE_BACKEND_UNAVAILABLE'), String(errors[0]));
      assert.match(errors[0].message, /BUSY|no answer to a read within 600 ms/);

      await admin.script('KILL');
      await running;
      await backend.append('x', rec('after'), LIMITS);
      await waitFor('live delivery after the script', () => got.includes('after'), RETRY_MAX_MS + 5000);
      assert.equal(errors.length, 1);
      stop();
    } finally {
      script.disconnect();
      await backend.close();
    }
  });

  it('LOADING, READONLY and a lost connection get the code and advice that fit', () => {
    const where = { where: '127.0.0.1:6379', channel: 'news', key: 'eventide:ch:news' };
    const loading = redisFailure('follow', new ReplyError('LOADING Redis is loading the dataset in memory'), where);
    assert.equal(loading.code, 'EVENTIDE_BACKEND_UNAVAILABLE');
    assert.match(loading.message, /LOADING/);
    const readonly = redisFailure('read', new ReplyError("READONLY You can't write against a read only replica."), where);
    assert.equal(readonly.code, 'EVENTIDE_BACKEND_REJECTED');
    assert.match(readonly.message, /primary/);
    const lost = redisFailure('read', new Error('Connection is closed.'), where);
    assert.equal(lost.code, 'EVENTIDE_BACKEND_UNAVAILABLE');
    assert.match(lost.message, /cannot be reached/);
    const publish = redisFailure('publish', new ReplyError('OOM command not allowed when used memory > maxmemory'), where);
    assert.equal(publish.code, 'EVENTIDE_PUBLISH_FAILED');
    assert.match(publish.message, /maxmemory/);
  });
});

describe('redis backend: options', () => {
  const fails = (options: Record<string, unknown>, name: RegExp) =>
    assert.throws(() => redisBackend(options as never), (err) => {
      assert.ok(isEventideError(err, 'EVENTIDE_INVALID_OPTION'), String(err));
      assert.match((err as Error).message, name);
      return true;
    });

  it('refuses timers past Node\'s 2^31-1 ms, unknown options and wrong types, naming the option', () => {
    fails({ connectTimeoutMs: 40 * 24 * 3600 * 1000 }, /redisBackend option `connectTimeoutMs` must be an integer from 1 to 2147483647/);
    fails({ commandTimeoutMs: 2 ** 31 }, /`commandTimeoutMs`/);
    fails({ blockMs: 2 ** 31 }, /`blockMs`/);
    fails({ blockMs: 0 }, /`blockMs`/);
    fails({ readBatch: 1.5 }, /`readBatch`/);
    fails({ followGraceMs: Number.NaN }, /`followGraceMs`/);
    fails({ urll: 'redis://127.0.0.1:6379' }, /no option `urll`/);
    fails({ url: 6379 }, /`url`/);
    fails({ client: {} }, /`client`/);
    fails({ redisOptions: 'tls' }, /`redisOptions`/);
    fails({ keyPrefix: 5 }, /`keyPrefix`/);
    fails({ connectionName: 'has space' }, /`connectionName`/);
    assert.throws(() => redisBackend(null as never), (err) => isEventideError(err, 'EVENTIDE_INVALID_OPTION'));
  });

  it('takes the longest timers and never turns them into 1 ms ones', { skip }, async () => {
    const prefix = uniquePrefix('longtimers');
    const longest = 2 ** 31 - 1;
    const name = `eventide-longtimers-${process.pid}`;
    const backend = redisBackend({
      url: REDIS_URL, keyPrefix: prefix, connectionName: name, blockMs: longest, commandTimeoutMs: longest, connectTimeoutMs: longest,
    });
    const raw = new Redis(REDIS_URL);
    const errors: Error[] = [];
    const got: string[] = [];
    try {
      await backend.ready();
      const stop = backend.follow('t', backend.zeroId, (e) => got.push(e.data), (err) => errors.push(err));
      // A read is sent and stands blocked in Redis: a watchdog of blockMs + commandTimeoutMs past
      // Node's cap would have fired 1 ms after it was sent.
      await waitFor('the reader to block', async () => {
        const list = (await raw.client('LIST')) as string;
        return list.split('\n').some((line) => line.includes(`name=${name}:reader`) && / cmd=xread/.test(line) && / flags=b/.test(line));
      }, 5000, 20);
      await backend.append('t', rec('one'), LIMITS);
      await waitFor('the event', () => got.length === 1, 5000);
      assert.deepEqual(errors, []);
      stop();
    } finally {
      raw.disconnect();
      await backend.close();
      await deleteKeys(prefix);
    }
  });
});
