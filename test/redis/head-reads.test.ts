// Reads of a channel's head alone (subscribers without Last-Event-ID) asked for in the same turn
// share one Redis read; a publish completed before a read is asked for is always within its head.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis, type Command } from 'ioredis';
import { redisBackend } from '../../src/redis/index.js';
import { REDIS_URL, deleteKeys, skipUnlessRedis, uniquePrefix } from './helpers.js';

const skip = await skipUnlessRedis();
const LIMITS = { maxEvents: 1000, maxAgeMs: 3_600_000 };

describe('redis backend: head reads', { skip }, () => {
  const prefix = uniquePrefix('head-reads');
  // The backend's connections are duplicates of this client: the first one is its command
  // connection, whose read scripts are counted.
  const base = new Redis(REDIS_URL, { lazyConnect: true });
  let reads = 0;
  const duplicate = base.duplicate.bind(base);
  let first = true;
  base.duplicate = (options) => {
    const link = duplicate(options);
    if (first) {
      first = false;
      const send = link.sendCommand.bind(link);
      link.sendCommand = (command: Command, stream?: never) => {
        if ((command.name === 'evalsha' || command.name === 'eval') && command.args.some((arg) => String(arg).startsWith(prefix))) {
          // An evalsha refused with NOSCRIPT is sent again as eval: count the read once.
          if (command.name === 'evalsha') reads++;
        }
        return send(command, stream);
      };
    }
    return link;
  };
  const backend = redisBackend({ client: base, keyPrefix: prefix });
  after(async () => {
    await backend.close();
    base.disconnect();
    await deleteKeys(prefix);
  });

  it('head reads asked in the same turn share one read; a later turn reads again', async () => {
    await backend.ready();
    const stored = await backend.append('news', { data: 'one', json: false }, LIMITS);
    const before = reads;
    const results = await Promise.all(Array.from({ length: 20 }, () => backend.readAfter('news', undefined)));
    assert.equal(reads - before, 1, 'one read for twenty subscribers');
    for (const result of results) assert.deepEqual(result, { events: [], complete: true, head: stored.id });
    assert.equal(new Set(results).size, 20, 'each caller gets its own result');
    await new Promise((resolve) => setImmediate(resolve));
    const again = await backend.readAfter('news', undefined);
    assert.equal(reads - before, 2, 'a head read asked after the read was answered is a read of its own');
    assert.equal(again.head, stored.id);
  });

  it('a publish completed before a head read is asked for is within its head, whatever read was on its way', async () => {
    const early = backend.readAfter('live', undefined);
    const stored = await backend.append('live', { data: 'published', json: false }, LIMITS);
    const late = await backend.readAfter('live', undefined);
    assert.equal(late.head, stored.id);
    assert.ok(backend.compareIds((await early).head, stored.id) <= 0);
  });
});
