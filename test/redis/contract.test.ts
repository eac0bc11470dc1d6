// The hub's shared suites, run against the Redis backend on a real Redis: the backend contract and
// the whole hub behaviour suite (the same bodies the memory backend passes).
import { after, it } from 'node:test';
import { describeBackendContract } from '../hub/backend-contract.js';
import { describeHubSuite } from '../hub/hub-suite.js';
import { redisBackend } from '../../src/redis/index.js';
import { REDIS_URL, deleteKeys, skipUnlessRedis, uniquePrefix } from './helpers.js';

const skip = await skipUnlessRedis();
const prefix = uniquePrefix('contract');

const factory = async () => {
  const backend = redisBackend({ url: REDIS_URL, keyPrefix: prefix });
  await backend.ready();
  return { backend, cleanup: () => backend.close() };
};

if (skip === false) {
  after(() => deleteKeys(prefix));
  describeBackendContract('redis', factory);
  describeHubSuite('redis', factory, { scale: 0.3 });
} else {
  it('HubBackend contract and hub suite: redis', { skip }, () => {});
}
