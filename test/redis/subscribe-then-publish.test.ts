// A subscription made just before a publish, in the same turn, gets the event on the Redis backend
// too: the first subscriber of a channel starts where the channel's feed began to follow, and the
// feed reads that head when the subscription is made, before the publish's XADD.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from '../../src/hub/index.js';
import { redisBackend } from '../../src/redis/index.js';
import { collect, waitFor } from '../hub/helpers.js';
import { REDIS_URL, deleteKeys, skipUnlessRedis, uniquePrefix } from './helpers.js';

const skip = await skipUnlessRedis();

describe('redis hub: a subscription made just before a publish', { skip }, () => {
  const prefix = uniquePrefix('subpub');
  let hub: Hub;
  before(() => {
    hub = new Hub({ backend: redisBackend({ url: REDIS_URL, keyPrefix: prefix }) });
  });
  after(async () => {
    await hub.close();
    await deleteKeys(prefix);
  });

  it('gets the event, as the first subscriber of a channel and as a later one', async () => {
    for (let i = 0; i < 30; i++) {
      const channel = `ch${i}`;
      for (const round of ['first', 'later']) {
        const early = collect(hub.subscribe(channel));
        const id = await hub.publish(channel, { data: `${round} ${i}` });
        await waitFor(() => early.events.some((e) => e.id === id), `the ${round} subscriber of ${channel} to get the event published after it subscribed`);
        assert.deepEqual(early.data(), [`${round} ${i}`]);
        if (round === 'later') early.subscription.unsubscribe();
      }
    }
  });

  it('gets the events of every channel of a multi-channel subscription', async () => {
    const both = collect(hub.subscribe(['m1', 'm2']));
    await hub.publish('m1', { data: 'to m1' });
    await hub.publish('m2', { data: 'to m2' });
    await waitFor(() => both.data().length === 2, 'both events');
    assert.deepEqual(both.data(), ['to m1', 'to m2']);
    both.subscription.unsubscribe();
  });
});
