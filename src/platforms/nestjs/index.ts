// `eventide/nestjs`: eventide in NestJS 11+ apps, on the express and the fastify adapter.
export { EventideModule } from './module.js';
export { EventideSse, EventideStreamInterceptor } from './sse.js';
export { EventideStreams, EVENTIDE_OPTIONS } from './streams.js';
export type { EventideModuleOptions } from './streams.js';
