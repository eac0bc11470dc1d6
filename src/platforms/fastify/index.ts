// `eventide/fastify`: eventide's controllers as a Fastify 5 plugin.
export { eventide } from './plugin.js';
export type { EventidePlugin, FastifyOptions } from './plugin.js';
