// The hub's shared backend contract, run against the Redis backend on a real Redis.
import { after } from 'node:test';
import { describeBackendContract } from '../hub/backend-contract.js';
import { redisBackend } from '../../src/redis/index.js';
import { REDIS_URL, deleteKeys, skipUnlessRedis, uniquePrefix } from './helpers.js';

const skip = await skipUnlessRedis();
const prefix = uniquePrefix('contract');

if (skip === false) {
  after(() => deleteKeys(prefix));
  describeBackendContract('redis', async () => {
    const backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
    await backend.ready();
    return { backend, cleanup: () => backend.close() };
  });
} else {
  const { it } = await import('node:test');
  it('HubBackend contract: redis', { skip }, () => {});
}
