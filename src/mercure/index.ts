/**
 * `eventide/mercure`: a hub speaking the Mercure protocol (draft-dunglas-mercure-07 and -08)
 * over an eventide Hub, to mount in an app or to run as `npx eventide hub`.
 *
 * @example
 * ```ts
 * import { createApp, Hub } from 'eventide';
 * import { createMercureHub } from 'eventide/mercure';
 * const mercure = createMercureHub({ publisherJwt: { key: secret }, anonymous: true });
 * const app = createApp({ controllers: [mercure.controller] });
 * ```
 * @packageDocumentation
 */
export { createMercureHub } from './mercure-hub.js';
export type { MercureHub, MercureUpdateInput } from './mercure-hub.js';
export type { MercureHubOptions } from './options.js';
export type { MercureKeyOptions } from './tokens.js';
export { compileSelector } from './selectors.js';
export type { TopicMatcher } from './selectors.js';
