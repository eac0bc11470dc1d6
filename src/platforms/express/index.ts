// `eventide/express`: eventide's controllers as Express 4 / 5 middleware.
export { eventide } from './middleware.js';
export type { EventideMiddleware, ExpressOptions } from './middleware.js';
