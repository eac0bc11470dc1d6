// Redis dies and comes back (append-only persistence in a temporary directory): acknowledged
// events survive, publishes during the outage fail loudly, followers report the outage and resume
// where they were.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Controller, Sse, createApp, type App, type RequestContext } from '../../src/index.js';
import { Hub, type HubEvent } from '../../src/hub/index.js';
import { openStream } from '../support/sse-client.js';
import { redisBackend, type RedisBackend } from '../../src/redis/index.js';
import type { StoredEvent } from '../../src/hub/backend.js';
import { isEventideError } from '../../src/errors.js';
import { PrivateRedis, waitFor } from './helpers.js';

const LIMITS = { maxEvents: 1000, maxAgeMs: 3_600_000 };
const hasServer = spawnSync('redis-server', ['--version']).status === 0;
const skip = hasServer ? false : 'redis-server binary not found: skipped';
if (!hasServer && (process.env.CI === 'true' || process.env.CI === '1')) {
  throw new Error('redis-server is not installed, and CI is set: the Redis restart test must run in CI');
}

describe('redis backend: Redis restarts', { skip }, () => {
  let redis: PrivateRedis;
  let publisher: RedisBackend;
  let subscriber: RedisBackend; // another "process": only follows

  before(async () => {
    redis = await PrivateRedis.start();
    const options = { url: redis.url, keyPrefix: 'restart:', connectTimeoutMs: 3000, commandTimeoutMs: 2000 };
    publisher = redisBackend(options);
    subscriber = redisBackend(options);
    await Promise.all([publisher.ready(), subscriber.ready()]);
  });
  after(async () => {
    await Promise.all([publisher?.close(), subscriber?.close()]);
    await redis?.destroy();
  });

  it('keeps acknowledged events, fails publishes while down, and resumes followers', async () => {
    const got: StoredEvent[] = [];
    const errors: Error[] = [];
    const stop = subscriber.follow('news', subscriber.zeroId, (e) => got.push(e), (err) => errors.push(err));
    // A hub subscriber in a third "process": it must stay open through the outage and miss nothing.
    const hubErrors: Error[] = [];
    const hub = new Hub({
      backend: redisBackend({ url: redis.url, keyPrefix: 'restart:', connectTimeoutMs: 3000 }),
      onError: (err) => hubErrors.push(err),
    });
    const hubGot: HubEvent[] = [];
    let hubEnded = false;
    const hubSub = hub.subscribe('news', { lastEventId: subscriber.zeroId }).subscribe({
      next: (e) => hubGot.push(e),
      error: () => (hubEnded = true),
      complete: () => (hubEnded = true),
    });
    // And an SSE client of that process, over HTTP.
    @Controller()
    class Events {
      @Sse('events/:room')
      stream(ctx: RequestContext) {
        return hub.subscribe(ctx.params.room, { lastEventId: ctx.lastEventId });
      }
    }
    const app: App = createApp({ controllers: [new Events()], heartbeatMs: 100 });
    await app.listen(0, '127.0.0.1');
    const client = await openStream(`${app.url}/events/news`, { headers: { 'Last-Event-ID': subscriber.zeroId } });
    const acknowledged: StoredEvent[] = [];
    try {
      for (let i = 0; i < 20; i++) acknowledged.push(await publisher.append('news', { data: `a${i}`, json: false }, LIMITS));
      await waitFor('the follower to see the first 20', () => got.length === 20);

      await redis.kill();
      const failed: string[] = [];
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        await assert.rejects(publisher.append('news', { data: `lost${i}`, json: false }, LIMITS), (err) => {
          assert.ok(isEventideError(err, 'EVENTIDE_PUBLISH_FAILED'), String(err));
          return true;
        });
        failed.push(`lost${i}`);
      }
      assert.ok(Date.now() - started < 3000, `publishes failed within ${Date.now() - started} ms`);
      await waitFor('the follower to hear of the outage', () => errors.length > 0);
      const heartbeats = client.comments.length;
      await client.waitFor(() => client.comments.length >= heartbeats + 3, 5000, 'heartbeats while Redis is down');
      assert.equal(client.ended, false, 'the SSE client stays connected while Redis is down');
      assert.ok(errors.every((err) => isEventideError(err, 'EVENTIDE_BACKEND_UNAVAILABLE')), String(errors[0]));
      assert.equal(errors.length, 1, 'one report per outage');

      await redis.startProcess();
      // The publisher reconnects on its own; until then it keeps failing fast (never queueing).
      let first: StoredEvent | undefined;
      await waitFor('the publisher to reconnect', async () => {
        try {
          first = await publisher.append('news', { data: 'b0', json: false }, LIMITS);
          return true;
        } catch (err) {
          assert.ok(isEventideError(err, 'EVENTIDE_PUBLISH_FAILED'));
          return false;
        }
      }, 15_000, 50);
      acknowledged.push(first!);
      for (let i = 1; i < 10; i++) acknowledged.push(await publisher.append('news', { data: `b${i}`, json: false }, LIMITS));

      await waitFor('the follower to resume', () => got.length >= 30, 15_000);
      assert.deepEqual(got.map((e) => e.id), acknowledged.map((e) => e.id), 'exactly the acknowledged events, in order');
      const read = await publisher.readAfter('news', publisher.zeroId);
      assert.equal(read.complete, true);
      assert.deepEqual(read.events.map((e) => e.data), acknowledged.map((e) => e.data), 'history survived the restart');
      assert.ok(read.events.every((e) => !failed.includes(e.data)), 'no failed publish was stored');

      await waitFor('the hub subscriber to resume', () => hubGot.filter((e) => e.channel !== undefined).length >= 30, 15_000);
      assert.equal(hubEnded, false, 'the hub subscription stayed open');
      assert.deepEqual(
        hubGot.filter((e) => e.channel !== undefined).map((e) => e.data),
        acknowledged.map((e) => e.data),
        'the hub subscriber got exactly the acknowledged events',
      );
      assert.ok(hubErrors.length >= 1, 'the hub heard of the outage');

      await client.waitFor(() => client.events.length >= 30, 15_000, 'the SSE client to resume');
      assert.deepEqual(client.events.map((e) => e.data), acknowledged.map((e) => e.data), 'the SSE client got them all');
      assert.equal(client.ended, false);
    } finally {
      stop();
      hubSub.unsubscribe();
      await client.close();
      await app.close();
      await hub.close();
    }
  });

  it('fails publishes after commandTimeoutMs while Redis hangs, then carries on', async () => {
    const options = { url: redis.url, keyPrefix: 'frozen:', commandTimeoutMs: 500, blockMs: 300 };
    const pub = redisBackend(options);
    const sub = redisBackend(options);
    const got: StoredEvent[] = [];
    const errors: Error[] = [];
    try {
      await Promise.all([pub.ready(), sub.ready()]);
      const stop = sub.follow('ice', sub.zeroId, (e) => got.push(e), (err) => errors.push(err));
      const before = await pub.append('ice', { data: 'before', json: false }, LIMITS);
      await waitFor('the first event', () => got.length === 1);

      redis.signal('SIGSTOP');
      const started = Date.now();
      await assert.rejects(pub.append('ice', { data: 'frozen', json: false }, LIMITS), (err) =>
        isEventideError(err, 'EVENTIDE_PUBLISH_FAILED'),
      );
      const took = Date.now() - started;
      assert.ok(took >= 400 && took < 3000, `failed after ${took} ms`);
      await waitFor('the follower to report the hang', () => errors.length > 0, 5000);
      redis.signal('SIGCONT');

      const after = await pub.append('ice', { data: 'after', json: false }, LIMITS);
      await waitFor('the follower to carry on', () => got.some((e) => e.id === after.id), 10_000);
      // The frozen publish reached Redis and ran once it thawed: "failed" means "not known to be
      // stored", never "stored" without saying so. The follower sees the stream as it is.
      const stream = await pub.readAfter('ice', pub.zeroId);
      assert.deepEqual(got.map((e) => e.id), stream.events.map((e) => e.id));
      assert.equal(stream.events[0].id, before.id);
      assert.equal(stream.events.at(-1)!.id, after.id);
      stop();
    } finally {
      redis.signal('SIGCONT');
      await Promise.all([pub.close(), sub.close()]);
    }
  });
});
