// Slices of events the reader already holds: readAfter with `known` returns exactly what a plain
// read returns, taking the held objects instead of their payloads, and reads in full whenever it
// lacks one of them; trimming and gaps are judged the same either way.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redisBackend, type RedisBackend } from '../../src/redis/index.js';
import type { StoredEvent } from '../../src/hub/backend.js';
import { REDIS_URL, deleteKeys, skipUnlessRedis, uniquePrefix } from './helpers.js';

const skip = await skipUnlessRedis();
const LIMITS = { maxEvents: 1000, maxAgeMs: 3_600_000 };
const rec = (data: string) => ({ data, json: false });

describe('redis backend: slices read as ids of held events', { skip }, () => {
  const prefix = uniquePrefix('known');
  let backend: RedisBackend;
  before(() => {
    backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
  });
  after(async () => {
    await backend.close();
    await deleteKeys(prefix);
  });

  async function publish(channel: string, n: number, limits = LIMITS): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for (let i = 0; i < n; i++) out.push(await backend.append(channel, rec(`${channel}-${i}-${'p'.repeat(200)}`), limits));
    return out;
  }

  it('takes the held objects for a slice it holds entirely, equal to a plain read', async () => {
    const stored = await publish('all', 20);
    // Copies, so that identity shows which object the read returned.
    const held = new Map(stored.map((e) => [e.id, { ...e }]));
    const asked: string[] = [];
    const known = (id: string) => {
      asked.push(id);
      return held.get(id);
    };
    const plain = await backend.readAfter('all', stored[4].id, 8);
    const fromHeld = await backend.readAfter('all', stored[4].id, 8, known);
    assert.deepEqual(fromHeld, plain);
    assert.deepEqual(fromHeld.events.map((e) => e.id), stored.slice(5, 13).map((e) => e.id));
    for (const e of fromHeld.events) assert.equal(e, held.get(e.id), 'the held object itself');
    assert.ok(asked.length >= 8);
  });

  it('reads the slice in full when one event of it is not held', async () => {
    const stored = await publish('some', 12);
    const held = new Map(stored.map((e) => [e.id, { ...e, data: 'WRONG: a held copy was used' }]));
    held.delete(stored[6].id);
    const read = await backend.readAfter('some', stored[2].id, 6, (id) => held.get(id));
    assert.deepEqual(read, await backend.readAfter('some', stored[2].id, 6));
    for (const e of read.events) assert.notEqual(e.data, 'WRONG: a held copy was used');
  });

  it('judges a trimmed cursor the same, held or not (the gap is never hidden)', async () => {
    const limits = { maxEvents: 3, maxAgeMs: 3_600_000 };
    const stored = await publish('trimmed', 10, limits);
    const held = new Map(stored.map((e) => [e.id, e]));
    for (const cursor of [stored[1].id, stored[5].id, stored[6].id, stored[8].id, stored[9].id]) {
      const plain = await backend.readAfter('trimmed', cursor, 2);
      const fromHeld = await backend.readAfter('trimmed', cursor, 2, (id) => held.get(id));
      assert.deepEqual(fromHeld, plain, `after ${cursor}`);
    }
    assert.equal((await backend.readAfter('trimmed', stored[5].id, 2, (id) => held.get(id))).complete, false, 'e6 is gone');
  });

  it('ignores `known` without a limit, and for malformed or missing positions', async () => {
    const stored = await publish('other', 3);
    const never = () => {
      throw new Error('not asked without a slice');
    };
    assert.deepEqual(await backend.readAfter('other', stored[0].id, undefined, never), await backend.readAfter('other', stored[0].id));
    assert.deepEqual(await backend.readAfter('other', 'garbage', 2, never), { events: [], complete: false, head: stored[2].id });
    assert.deepEqual(await backend.readAfter('other', undefined, 2, never), { events: [], complete: true, head: stored[2].id });
    assert.deepEqual(await backend.readAfter('empty', '5-0', 2, () => undefined), await backend.readAfter('empty', '5-0', 2));
  });
});
