/**
 * `eventide/redis`: the Redis Streams backend of the hub, for several processes and machines.
 *
 * @example
 * ```ts
 * import { Hub } from 'eventide';
 * import { redisBackend } from 'eventide/redis';
 * const hub = new Hub({ backend: redisBackend({ url: process.env.REDIS_URL }) });
 * ```
 * @packageDocumentation
 */
export { redisBackend, type RedisBackend, type RedisBackendOptions } from './backend.js';
